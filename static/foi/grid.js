// Typed entry: a grid of inputs a researcher fills with the keyboard alone, or by pasting a block
// copied from a spreadsheet or a PDF viewer (tab-separated lines) into any cell.
// Arrow keys move between cells (left and right at the ends of a cell's text), Enter goes down
// (a new row at the bottom); "Add a row" and "Add a column" work without this script too.
// Kept out of the page itself: the Content-Security-Policy forbids inline script.
(function () {
  "use strict";
  var table = document.getElementById("typed-grid");
  if (!table) { return; }
  var rowsField = document.getElementById("grid-rows");
  var colsField = document.getElementById("grid-cols");
  var bySex = document.getElementById("id_by_sex");
  var orientation = document.getElementById("id_orientation");
  var labelHeading = document.getElementById("label-heading");
  var body = table.tBodies[0];
  var headRow = table.tHead.rows[0];

  function nRows() { return parseInt(rowsField.value, 10); }
  function nCols() { return parseInt(colsField.value, 10); }
  function sexShown() { return !bySex || bySex.checked; }
  function order() {
    var cols = ["label"];
    if (sexShown()) { cols.push("sex"); }
    for (var c = 0; c < nCols(); c++) { cols.push(String(c)); }
    return cols;
  }
  function cell(row, col) {
    return table.querySelector('input[data-row="' + row + '"][data-col="' + col + '"]');
  }
  function make(name, row, col, label, extra) {
    var el = document.createElement("input");
    el.type = "text";
    el.name = name;
    el.dataset.row = row;
    el.dataset.col = col;
    el.setAttribute("aria-label", label);
    Object.keys(extra || {}).forEach(function (k) { el.setAttribute(k, extra[k]); });
    return el;
  }

  function addRow() {
    var i = nRows(), n = i + 1, tr = document.createElement("tr");
    var th = document.createElement("th");
    th.scope = "row";
    th.appendChild(make("l-" + i, n, "label", "Row " + n + ": offence or age", {list: "offence-codes", "class": "foi-label"}));
    tr.appendChild(th);
    var sex = document.createElement("td");
    sex.className = "foi-sex-col";
    sex.appendChild(make("s-" + i, n, "sex", "Row " + n + ": victim sex", {list: "sexes", "class": "foi-sex"}));
    tr.appendChild(sex);
    for (var c = 0; c < nCols(); c++) {
      var td = document.createElement("td");
      td.appendChild(make("v-" + i + "-" + c, n, c, "Row " + n + ", column " + (c + 1), {inputmode: "numeric"}));
      tr.appendChild(td);
    }
    body.appendChild(tr);
    rowsField.value = n;
    return tr;
  }

  function addColumn() {
    var c = nCols();
    var th = document.createElement("th");
    th.scope = "col";
    th.appendChild(make("h-" + c, 0, c, "Heading of column " + (c + 1), {"class": "foi-heading"}));
    headRow.appendChild(th);
    Array.prototype.forEach.call(body.rows, function (tr, i) {
      var td = document.createElement("td");
      td.appendChild(make("v-" + i + "-" + c, i + 1, c, "Row " + (i + 1) + ", column " + (c + 1), {inputmode: "numeric"}));
      tr.appendChild(td);
    });
    colsField.value = c + 1;
  }

  function move(from, dRow, dCol, grow) {
    var cols = order(), row = parseInt(from.dataset.row, 10), at = cols.indexOf(from.dataset.col);
    var target = null;
    if (dRow) {
      var r = row + dRow;
      if (r > nRows() && grow) { addRow(); }
      target = r >= 0 ? cell(r, from.dataset.col) : null;
    } else {
      var c = at + dCol;
      target = c >= 0 && c < cols.length ? cell(row, cols[c]) : null;
    }
    if (target) { target.focus(); target.select(); }
    return target;
  }

  table.addEventListener("keydown", function (e) {
    var el = e.target;
    if (e.defaultPrevented || el.tagName !== "INPUT" || e.altKey || e.ctrlKey || e.metaKey) { return; }
    var atStart = el.selectionStart === 0 && el.selectionEnd === 0;
    var atEnd = el.selectionStart === el.value.length && el.selectionEnd === el.value.length;
    if (e.key === "Enter" || e.key === "ArrowDown") {
      e.preventDefault();  // Enter moves down, it does not send the form half typed
      move(el, 1, 0, e.key === "Enter");
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      move(el, -1, 0);
    } else if (e.key === "ArrowLeft" && atStart) {
      if (move(el, 0, -1)) { e.preventDefault(); }
    } else if (e.key === "ArrowRight" && atEnd) {
      if (move(el, 0, 1)) { e.preventDefault(); }
    }
  });

  // A block pasted into a cell fills the grid from that cell, growing it as needed.
  table.addEventListener("paste", function (e) {
    var el = e.target;
    if (el.tagName !== "INPUT") { return; }
    var text = (e.clipboardData || window.clipboardData).getData("text");
    if (!text || (text.indexOf("\t") < 0 && text.indexOf("\n") < 0 && text.indexOf("\r") < 0)) { return; }
    e.preventDefault();
    var lines = text.replace(/\r\n?/g, "\n").split("\n");
    while (lines.length && lines[lines.length - 1].trim() === "") { lines.pop(); }
    var row0 = parseInt(el.dataset.row, 10);
    var widest = lines.reduce(function (w, line) { return Math.max(w, line.split("\t").length); }, 0);
    var start = order().indexOf(el.dataset.col);
    while (order().length < start + widest) { addColumn(); }
    while (nRows() < row0 + lines.length - 1) { addRow(); }
    var cols = order();
    lines.forEach(function (line, i) {
      line.split("\t").forEach(function (value, j) {
        var target = cell(row0 + i, cols[start + j]);
        if (target) { target.value = value.trim(); }
      });
    });
  });

  function showSex() {
    table.classList.toggle("foi-no-sex", !sexShown());
    if (!sexShown()) {
      Array.prototype.forEach.call(table.querySelectorAll('input[data-col="sex"]'), function (i) { i.value = ""; });
    }
  }
  if (bySex) { bySex.addEventListener("change", showSex); showSex(); }
  if (orientation && labelHeading) {
    orientation.addEventListener("change", function () {
      labelHeading.firstChild.nodeValue = orientation.value === "ages_down" ? labelHeading.dataset.ages : labelHeading.dataset.offences;
    });
  }
  document.getElementById("add-row").addEventListener("click", function (e) {
    e.preventDefault();
    var first = addRow().querySelector("input");
    first.focus();
  });
  document.getElementById("add-column").addEventListener("click", function (e) {
    e.preventDefault();
    addColumn();
    cell(0, nCols() - 1).focus();
  });
})();
