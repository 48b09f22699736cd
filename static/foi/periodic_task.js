// The periodic task form (django-celery-beat): under the crontab field, say in words when the
// chosen schedule runs. Replaces the package's inline script, which the Content-Security-Policy
// blocks; the words are set as text, never as HTML.
(function () {
  "use strict";
  var data = document.getElementById("readable-crontabs");
  var select = document.getElementById("id_crontab");
  if (!data || !select) { return; }
  var readable = JSON.parse(data.textContent);
  var row = document.querySelector(".field-crontab_translation");
  if (row) { row.style.display = "none"; }
  var help = document.querySelector(".field-crontab .help");
  if (!help) { return; }
  var line = document.createElement("div");
  line.className = "foi-crontab-translation";
  help.appendChild(line);
  function show() {
    var words = readable[select.value];
    line.textContent = words ? "Translation: " + words : "";
  }
  select.addEventListener("change", show);
  show();
})();
