// Follows a returned file's reading or import on the worker and reloads the page when it is done.
// Kept out of the page itself: the Content-Security-Policy forbids inline script.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) { return; }
  var bar = document.getElementById("progress-bar");
  var label = document.getElementById("progress-label");
  var done = ["previewed", "imported", "refused"];
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      bar.value = s.percent;
      bar.textContent = s.percent + "%";
      label.textContent = s.phase ? s.phase.charAt(0).toUpperCase() + s.phase.slice(1) + "..." : "Queued...";
      if (done.indexOf(s.phase) >= 0 || (s.status !== "pending" && s.status !== "queued")) {
        window.location.reload();
      } else {
        setTimeout(poll, 700);
      }
    }).catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
