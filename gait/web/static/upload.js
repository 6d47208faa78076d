// Upload form: drag and drop, then XHR upload with progress to the JSON API (the form works without JS).
(function () {
  "use strict";
  document.querySelectorAll("form.del button[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (e) { if (!window.confirm(b.dataset.confirm)) e.preventDefault(); });
  });
  var form = document.getElementById("upload-form");
  if (!form) return;
  var maxBytes = Number(form.dataset.maxBytes);
  var bar = document.getElementById("upload-progress");
  var statusEl = document.getElementById("upload-status");
  var submit = document.getElementById("submit");

  function say(text, isError) {
    statusEl.textContent = "";
    var span = document.createElement("span");
    span.textContent = text;
    if (isError) { span.className = "error"; span.id = "upload-error"; }
    statusEl.appendChild(span);
  }

  document.querySelectorAll(".drop").forEach(function (zone) {
    var input = document.getElementById(zone.dataset.input);
    ["dragenter", "dragover"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; }
    });
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var data = new FormData(form);
    var total = 0;
    ["file", "rear_file", "front_file"].forEach(function (name) {
      var f = data.get(name);
      if (f && f.size) total += f.size; else if (f && !f.name) data.delete(name);
    });
    ["runner_id", "label", "height_cm", "treadmill_speed_mps", "slowmo_factor"].forEach(function (name) {
      if (!String(data.get(name) || "").trim()) data.delete(name);
    });
    if (total > maxBytes) { say("The clips are larger than the server's upload limit of " + Math.round(maxBytes / 1048576) + " MB.", true); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/analyses");
    xhr.responseType = "json";
    xhr.upload.onprogress = function (ev) {
      if (ev.lengthComputable) { bar.value = ev.loaded / ev.total; say("Uploading " + Math.round(100 * ev.loaded / ev.total) + "%"); }
    };
    xhr.onload = function () {
      var body = xhr.response || {};
      if (xhr.status === 202 && body.page) { say("Uploaded; opening the analysis..."); window.location.assign(body.page); return; }
      var detail = body.detail;
      if (Array.isArray(detail)) detail = detail.map(function (d) { return (d.loc || []).slice(-1)[0] + ": " + d.msg; }).join("; ");
      say(detail || ("Upload failed (HTTP " + xhr.status + ")."), true);
      submit.disabled = false; bar.hidden = true;
    };
    xhr.onerror = function () { say("The upload did not reach the server; check the connection and try again.", true); submit.disabled = false; bar.hidden = true; };
    submit.disabled = true; bar.hidden = false; bar.value = 0;
    xhr.send(data);
  });
})();
