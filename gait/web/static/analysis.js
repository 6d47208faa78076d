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
    var addFrame = document.getElementById("add-frame");
    var show = function () {
      frameOut.textContent = String(current());
      playBtn.textContent = video.paused ? "Play" : "Pause";
      if (addFrame) addFrame.value = String(current());  // an event is added at the frame on screen
    };
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

  var events = document.getElementById("events");
  if (events) {
    var statusOut = document.getElementById("events-status");
    var busy = false;
    var send = function (method, body) {
      if (busy) return;
      busy = true;
      events.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      statusOut.textContent = method === "PATCH" ? "Recomputing from the corrected events..." : "Restoring the automatic events...";
      var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
      if (body) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
      fetch("/api/analyses/" + id + "/events", init)
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (res) {
          if (res.ok) { window.location.reload(); return; }
          var d = res.body && res.body.detail;
          if (Array.isArray(d)) d = d.map(function (x) { return x.msg; }).join("; ");
          throw new Error(d || "the server refused the correction");
        })
        .catch(function (err) {
          busy = false;
          events.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
          statusOut.textContent = "Not saved: " + err.message;
          statusOut.className = "error";
        });
    };
    var list = function (skip) {
      var out = [];
      events.querySelectorAll("tbody tr").forEach(function (tr) {
        if (tr === skip) return;
        out.push({ foot: tr.dataset.foot, type: tr.dataset.type, frame: Number(tr.dataset.frame) });
      });
      return out;
    };
    events.querySelectorAll("tbody tr").forEach(function (tr) {
      var move = function (n) {
        tr.dataset.frame = String(Math.max(0, Number(tr.dataset.frame) + n));
        tr.querySelector(".frame").textContent = tr.dataset.frame;
        tr.className = "moved";
        send("PATCH", { events: list(null) });
      };
      tr.querySelector(".ev-earlier").addEventListener("click", function () { move(-1); });
      tr.querySelector(".ev-later").addEventListener("click", function () { move(1); });
      tr.querySelector(".ev-delete").addEventListener("click", function () {
        if (!window.confirm("Delete this event?")) return;
        send("PATCH", { events: list(tr) });
      });
      tr.querySelector(".ev-show").addEventListener("click", function () {
        var v = document.getElementById("video"), p = document.getElementById("player");
        if (!v || !p) return;
        v.pause();
        v.currentTime = (Number(tr.dataset.frame) + 0.5) / (Number(p.dataset.fps) || 30);
      });
    });
    var add = document.getElementById("add-event-button");
    if (add) add.addEventListener("click", function () {
      var at = Number(document.getElementById("add-frame").value);
      if (!Number.isInteger(at) || at < 0) { statusOut.textContent = "Give a whole frame number."; statusOut.className = "error"; return; }
      var added = { foot: document.getElementById("add-foot").value, type: document.getElementById("add-type").value, frame: at };
      send("PATCH", { events: list(null).concat([added]) });
    });
    var undo = document.getElementById("undo-events");
    if (undo) undo.addEventListener("click", function () { send("DELETE", null); });
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
