// The campaign's drop zone: files, a folder or a zip dropped on it go into the form's file input,
// which the page posts as usual (the input alone works without this script).
// Kept out of the page itself: the Content-Security-Policy forbids inline script.
(function () {
  "use strict";
  var zone = document.getElementById("dropzone");
  if (!zone || typeof DataTransfer === "undefined") { return; }
  var input = document.getElementById(zone.dataset.input);
  var folder = document.getElementById("id_folder");
  var list = document.getElementById("dropzone-list");

  function show() {
    var files = [].concat(Array.prototype.slice.call(input.files), folder ? Array.prototype.slice.call(folder.files) : []);
    list.textContent = "";
    files.slice(0, 50).forEach(function (f) {
      var li = document.createElement("li");
      li.textContent = (f.webkitRelativePath || f.name) + " (" + f.size.toLocaleString() + " bytes)";
      list.appendChild(li);
    });
    if (files.length) {
      var total = document.createElement("li");
      var most = parseInt(zone.dataset.maxFiles || "0", 10);
      total.className = "foi-dropzone-total";
      total.textContent = most && files.length > most
        ? files.length + " files: a browser sends at most " + most + " at once. Put them in a zip and drop that."
        : files.length + " file" + (files.length === 1 ? "" : "s") + " ready: press Upload and read.";
      list.appendChild(total);
    }
  }

  function readEntries(reader) {
    return new Promise(function (resolve, reject) { reader.readEntries(resolve, reject); });
  }

  // A dropped folder arrives as an entry: walk it (a directory reader gives its entries in batches).
  function walk(entry) {
    if (entry.isFile) {
      return new Promise(function (resolve) { entry.file(function (f) { resolve([f]); }, function () { resolve([]); }); });
    }
    if (!entry.isDirectory) { return Promise.resolve([]); }
    var reader = entry.createReader(), found = [];
    function more() {
      return readEntries(reader).then(function (batch) {
        if (!batch.length) { return Promise.all(found).then(function (lists) { return [].concat.apply([], lists); }); }
        batch.forEach(function (e) { found.push(walk(e)); });
        return more();
      });
    }
    return more();
  }

  function take(files) {
    var dt = new DataTransfer();
    Array.prototype.slice.call(input.files).concat(files).forEach(function (f) {
      if (f.name.charAt(0) !== ".") { dt.items.add(f); }
    });
    input.files = dt.files;
    show();
  }

  zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("foi-dropzone-over"); });
  zone.addEventListener("dragleave", function () { zone.classList.remove("foi-dropzone-over"); });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    zone.classList.remove("foi-dropzone-over");
    var items = e.dataTransfer.items;
    if (items && items.length && items[0].webkitGetAsEntry) {
      var entries = Array.prototype.map.call(items, function (i) { return i.webkitGetAsEntry(); }).filter(Boolean);
      Promise.all(entries.map(walk)).then(function (lists) { take([].concat.apply([], lists)); });
    } else {
      take(Array.prototype.slice.call(e.dataTransfer.files));
    }
  });
  input.addEventListener("change", show);
  if (folder) { folder.addEventListener("change", show); }
})();
