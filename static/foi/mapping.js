// Saying where the table is: clicking a column's letter cycles through what it can hold
// (offence, description, age, count, sex, nothing); the column and the row of headings are
// coloured as they are chosen. The selects and radio buttons work without this script.
// Kept out of the page itself: the Content-Security-Policy forbids inline script.
(function () {
  "use strict";
  var grid = document.getElementById("sheet-grid");
  if (!grid) { return; }
  var heads = Array.prototype.slice.call(grid.tHead.rows[0].cells, 1);

  function paint() {
    heads.forEach(function (th, i) {
      var select = th.querySelector("select");
      var role = select ? select.value : "";
      th.dataset.role = role;
      Array.prototype.forEach.call(grid.tBodies[0].rows, function (tr) {
        var td = tr.cells[i + 1];
        if (td) { td.dataset.role = role; }
      });
    });
    Array.prototype.forEach.call(grid.tBodies[0].rows, function (tr) {
      var radio = tr.querySelector("input[type=radio]");
      tr.classList.toggle("foi-header-row", !!(radio && radio.checked));
    });
  }

  grid.addEventListener("click", function (e) {
    var button = e.target.closest("button.foi-letter");
    if (!button) { return; }
    var select = document.getElementById(button.dataset.for);
    select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
    select.dispatchEvent(new Event("change", {bubbles: true}));
  });
  grid.addEventListener("change", paint);
  paint();
})();
