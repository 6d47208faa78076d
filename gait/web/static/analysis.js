// Analysis page: poll the status while it runs; frame stepping on the annotated video.
(function () {
  "use strict";
  var root = document.getElementById("analysis");
  if (!root) return;
  var id = root.dataset.id;

  if (root.dataset.status === "queued" || root.dataset.status === "running") {
    var bar = document.getElementById("progress"), stage = document.getElementById("stage"), statusEl = document.getElementById("status");
    var poll = function () {
      fetch("/api/analyses/" + id, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (a) {
          if (a.status === "done" || a.status === "failed") { window.location.reload(); return; }
          bar.value = a.progress; statusEl.textContent = a.status;
          stage.textContent = a.status === "queued" ? "waiting for earlier analyses" : (a.stage || "") + " " + Math.round(100 * a.progress) + "%";
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 1000);
  }

  var player = document.getElementById("player");
  if (player) {
    var video = document.getElementById("video"), fps = Number(player.dataset.fps) || 30;
    var playBtn = document.getElementById("play-pause"), frameOut = document.getElementById("frame");
    // frame k covers [k/fps, (k+1)/fps): seek to its middle, read it back with floor
    var current = function () { return Math.floor(video.currentTime * fps + 1e-6); };
    var show = function () { frameOut.textContent = String(current()); playBtn.textContent = video.paused ? "Play" : "Pause"; };
    var step = function (n) {
      video.pause();
      var frame = current() + n;
      var last = video.duration ? Math.floor(video.duration * fps) - 1 : frame;
      frame = Math.max(0, Math.min(frame, last));
      video.currentTime = (frame + 0.5) / fps;  // the middle of the frame: no rounding into its neighbour
    };
    document.getElementById("prev-frame").addEventListener("click", function () { step(-1); });
    document.getElementById("next-frame").addEventListener("click", function () { step(1); });
    playBtn.addEventListener("click", function () { if (video.paused) video.play(); else video.pause(); });
    ["timeupdate", "seeked", "play", "pause", "loadedmetadata"].forEach(function (ev) { video.addEventListener(ev, show); });
    document.addEventListener("keydown", function (e) {
      if (e.target && /INPUT|TEXTAREA|BUTTON/.test(e.target.tagName)) return;
      if (e.key === ",") step(-1); else if (e.key === ".") step(1);
      else if (e.key === " ") { e.preventDefault(); playBtn.click(); }
    });
  }

  var frame = document.getElementById("report");
  if (frame) {
    frame.addEventListener("load", function () {
      try { frame.style.height = (frame.contentDocument.documentElement.scrollHeight + 20) + "px"; } catch (e) { /* keep the CSS height */ }
    });
  }
  document.querySelectorAll("form.del button[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (e) { if (!window.confirm(b.dataset.confirm)) e.preventDefault(); });
  });
})();
