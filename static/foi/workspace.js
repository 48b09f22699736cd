// The campaign workspace: row actions without leaving the page, a file dropped on a row, filters
// by state, and moving between forces with the keyboard. Without JavaScript every form still posts
// and the page comes back at the row; this file only makes it quicker. Kept out of the page: the
// Content-Security-Policy forbids inline script.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) { return; }
  var body = board.tBodies[0];
  var statusBox = document.getElementById("board-status");
  var countsBox = document.getElementById("board-counts");
  var nextLink = document.getElementById("next-needing-me");
  var selected = new URLSearchParams(window.location.search).get("state") || "";
  var lastRow = null;

  function allRows() {
    return Array.prototype.filter.call(body.rows, function (r) { return r.classList.contains("foi-row"); });
  }
  function visibleRows() {
    return allRows().filter(function (r) { return !r.hidden; });
  }
  function matches(row) {
    if (!selected) { return true; }
    if (selected === "needs_me") { return row.getAttribute("data-needs-me") === "1"; }
    return row.getAttribute("data-state") === selected;
  }
  function say(text, level) {
    statusBox.textContent = text || "";
    statusBox.className = "foi-status" + (text ? " foi-status--" + (level || "success") : "");
  }
  function focusRow(row) {
    if (!row) { return; }
    lastRow = row;
    row.focus();
    row.scrollIntoView({block: "nearest"});
  }

  // --- filters -------------------------------------------------------------------------------
  function applyFilter() {
    allRows().forEach(function (r) { r.hidden = !matches(r); });
    Array.prototype.forEach.call(countsBox.querySelectorAll("a[data-state]"), function (a) {
      if (a.getAttribute("data-state") === selected) { a.setAttribute("aria-current", "true"); }
      else { a.removeAttribute("aria-current"); }
    });
    Array.prototype.forEach.call(board.querySelectorAll("input[name=state]"), function (input) {
      input.value = selected;
    });
  }
  countsBox.addEventListener("click", function (e) {
    var link = e.target.closest("a[data-state]");
    if (!link) { return; }
    e.preventDefault();
    selected = link.getAttribute("data-state");
    applyFilter();
    window.history.replaceState(null, "", selected ? "?state=" + encodeURIComponent(selected) : window.location.pathname);
    var shown = visibleRows().length;
    say(shown + (shown === 1 ? " force" : " forces") + " shown.", "info");
  });

  // --- row actions ---------------------------------------------------------------------------
  function replaceRow(old, data) {
    // The row may have been replaced while the request was out (a poll, another click): an action's
    // answer goes to the row as it is now; a poll's answer to a replaced row is stale and dropped.
    if (!old.isConnected) { return null; }
    var holder = document.createElement("tbody");
    holder.innerHTML = data.row;
    var fresh = holder.querySelector("tr");
    var hadFocus = old.contains(document.activeElement) || lastRow === old;
    old.replaceWith(fresh);
    fresh.hidden = !matches(fresh);
    if (data.counts) {
      countsBox.innerHTML = data.counts;
      applyFilter();
    }
    if (hadFocus) { focusRow(fresh.hidden ? null : fresh); }
    if (fresh.hasAttribute("data-poll")) { poll(fresh, 0); }
    return fresh;
  }
  function submitRowForm(form) {
    var row = form.closest("tr");
    var data = new FormData(form);
    data.set("state", selected);
    row.setAttribute("aria-busy", "true");
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    say("Saving " + row.querySelector("th").textContent.trim() + "…", "info");
    // getAttribute: the form's field named "action" shadows form.action
    fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().catch(function () {
          throw new Error(response.status === 403 ? "you may not change this" : "the server answered " + response.status);
        });
      })
      .then(function (payload) {
        replaceRow(row.isConnected ? row : (document.getElementById(row.id) || row), payload);
        say(payload.message, payload.level);
      })
      .catch(function (error) {
        row.removeAttribute("aria-busy");
        Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = false; });
        say("Nothing was saved: " + error.message + ".", "error");
      });
  }
  board.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-row-form")) { return; }
    e.preventDefault();
    submitRowForm(form);
  });
  function poll(row, tries) {
    window.setTimeout(function () {
      if (!row.isConnected) { return; }
      fetch(row.getAttribute("data-row-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (payload) {
          if (payload.state !== "reading" || tries > 120) { replaceRow(row, payload); }
          else { poll(row, tries + 1); }
        })
        .catch(function () { poll(row, tries + 5); });
    }, tries < 10 ? 700 : 2000);
  }
  allRows().forEach(function (r) { if (r.hasAttribute("data-poll")) { poll(r, 0); } });

  // --- a file dropped on a row ----------------------------------------------------------------
  function dropRow(e) { return e.target.closest ? e.target.closest("tr[data-drop]") : null; }
  board.addEventListener("dragover", function (e) {
    var row = dropRow(e);
    if (!row) { return; }
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    row.classList.add("foi-drop");
  });
  board.addEventListener("dragleave", function (e) {
    var row = dropRow(e);
    if (row && !row.contains(e.relatedTarget)) { row.classList.remove("foi-drop"); }
  });
  board.addEventListener("drop", function (e) {
    var row = dropRow(e);
    if (!row) { return; }
    e.preventDefault();
    row.classList.remove("foi-drop");
    var files = e.dataTransfer.files;
    if (!files || !files.length) { return; }
    if (files.length > 1) {
      say("Drop one file on a force's row (" + files.length + " were dropped).", "error");
      return;
    }
    var form = row.querySelector("form[data-upload]");
    form.querySelector("input[type=file]").files = files;
    lastRow = row;
    submitRowForm(form);
  });

  // --- the keyboard --------------------------------------------------------------------------
  function nextNeedingMe(from) {
    var rows = visibleRows();
    var start = rows.indexOf(from);
    for (var step = 1; step <= rows.length; step += 1) {
      var row = rows[(start + step + rows.length) % rows.length];
      if (row.getAttribute("data-needs-me") === "1") { return row; }
    }
    return null;
  }
  function goNext(from) {
    var row = nextNeedingMe(from);
    if (row) { focusRow(row); say(row.querySelector("th").textContent.trim() + " needs you.", "info"); }
    else { say("No force needs you now.", "info"); }
  }
  nextLink.addEventListener("click", function (e) {
    e.preventDefault();
    goNext(lastRow);
  });
  board.addEventListener("focusin", function (e) {
    var row = e.target.closest("tr.foi-row");
    if (row) { lastRow = row; }
  });
  board.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var row = e.target.closest("tr.foi-row");
    if (!row) { return; }
    var onRow = e.target === row || e.target === row.querySelector("th a");
    if (e.key === "Escape" && !onRow) {
      e.preventDefault();
      focusRow(row);
      return;
    }
    if (!onRow) { return; }  // typing in a field is typing, not moving
    var rows = visibleRows();
    var i = rows.indexOf(row);
    var target = null;
    if (e.key === "ArrowDown" || e.key === "j") { target = rows[Math.min(i + 1, rows.length - 1)]; }
    else if (e.key === "ArrowUp" || e.key === "k") { target = rows[Math.max(i - 1, 0)]; }
    else if (e.key === "Home") { target = rows[0]; }
    else if (e.key === "End") { target = rows[rows.length - 1]; }
    else if (e.key === "n") { e.preventDefault(); goNext(row); return; }
    else if (e.key === "Enter" && e.target === row) {
      var first = row.querySelector(".foi-actions input:not([type=hidden]), .foi-actions select, " +
                                    ".foi-actions button, .foi-actions summary, .foi-actions a");
      if (first) { e.preventDefault(); first.focus(); }
      return;
    }
    if (target) { e.preventDefault(); focusRow(target); }
  });
  applyFilter();
})();
