// A grid filled from a scan: the person confirms each cell read from the image, least sure first.
// Enter or Tab confirms the cell as it stands (its tick holds the value confirmed) and goes on to the
// next cell not yet confirmed; Shift+Tab goes back; typing in a cell takes its confirmation away
// until it is confirmed again. The server refuses the grid while any cell read from the image is
// not confirmed with the value it holds, so this page only makes confirming quick, not optional.
// Kept out of the page itself: the Content-Security-Policy forbids inline script.
(function () {
  "use strict";
  var table = document.getElementById("typed-grid");
  if (!table) { return; }
  var cells = Array.prototype.slice.call(table.querySelectorAll("input[data-ocr-order]"));
  if (!cells.length) { return; }
  cells.sort(function (a, b) { return parseInt(a.dataset.ocrOrder, 10) - parseInt(b.dataset.ocrOrder, 10); });
  var progress = document.getElementById("confirm-progress");
  var submit = document.querySelector('#typed-form input[name="_preview"]');

  function clean(text) { return text.replace(/\s+/g, " ").trim(); }
  function tick(input) { return table.querySelector('input[type="checkbox"][name="k-' + input.name + '"]'); }
  function confirmed(input) {
    var box = tick(input);
    return box && box.checked && box.value === clean(input.value);
  }
  function show(input) {
    input.closest("td, th").classList.toggle("foi-confirmed", confirmed(input));
  }
  function count() {
    var done = cells.filter(confirmed).length;
    if (progress) {
      progress.textContent = done + " of " + cells.length + " cells read from the scan confirmed" +
        (done === cells.length ? ": check and preview the figures." : ".");
    }
    return done;
  }
  function confirm(input) {
    var box = tick(input);
    box.value = clean(input.value);
    box.checked = true;
    show(input);
    count();
  }
  function next(from, step) {
    var at = cells.indexOf(from);
    for (var i = 1; i <= cells.length; i++) {
      var candidate = cells[(at + step * i + cells.length * i) % cells.length];
      if (!confirmed(candidate)) { return candidate; }
    }
    return null;
  }
  function go(target) {
    cells.forEach(function (c) { c.classList.remove("foi-next"); });
    if (target) {
      target.classList.add("foi-next");
      target.focus();
      target.select();
    } else if (submit) {
      submit.focus();
    }
  }

  // Before grid.js (which moves down on Enter): capture, and stop the key going further.
  table.addEventListener("keydown", function (e) {
    var el = e.target;
    if (cells.indexOf(el) < 0 || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === "Enter" || (e.key === "Tab" && !e.shiftKey)) {
      e.preventDefault();
      e.stopPropagation();
      confirm(el);
      go(next(el, 1));
    } else if (e.key === "Tab" && e.shiftKey) {
      e.preventDefault();
      e.stopPropagation();
      var back = cells[(cells.indexOf(el) - 1 + cells.length) % cells.length];
      go(back);
    }
  }, true);
  cells.forEach(function (input) {
    input.addEventListener("input", function () {
      var box = tick(input);
      if (box) { box.checked = false; }
      show(input);
      count();
    });
    var box = tick(input);
    if (box) {
      box.addEventListener("change", function () {
        if (box.checked) { box.value = clean(input.value); }
        show(input);
        count();
      });
    }
    show(input);
  });
  count();
  go(cells.filter(function (c) { return !confirmed(c); })[0] || null);
})();
