// A returned file being read on the worker: poll its progress and reload the page when done.
// Loaded by templates/admin/collection/returnedfile/preview.html (no inline script: CSP).
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) { return; }
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      document.getElementById("progress-bar").value = s.percent;
      document.getElementById("progress-label").textContent = s.phase ? s.phase.charAt(0).toUpperCase() + s.phase.slice(1) + "..." : "Queued...";
      if (["previewed", "imported", "refused"].indexOf(s.phase) >= 0 || s.status !== "pending") { window.location.reload(); }
      else { setTimeout(poll, 700); }
    }).catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
