// Drag and drop to reorder an agenda's items (native HTML5 drag and drop, no library). The
// Up and Down buttons stay for keyboard and screen-reader users and without JavaScript; this only
// adds a faster way for a mouse. On drop it posts the new order of item ids to the reorder
// endpoint, then reloads so the times of day and the buttons' versions are fresh.
(function () {
  "use strict";
  var table = document.getElementById("agenda");
  if (!table || table.dataset.editable !== "true" || !("draggable" in document.createElement("tr"))) {
    return;
  }
  var body = table.tBodies[0];
  var status = document.getElementById("agenda-status");
  var hint = document.getElementById("agenda-drag-hint");
  var token = document.querySelector("input[name=csrfmiddlewaretoken]");
  var dragged = null;
  if (hint) { hint.hidden = false; }

  function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr[data-item-id]")); }

  function say(text) { if (status) { status.textContent = text; } }

  function send() {
    var order = rows().map(function (row) { return row.dataset.itemId; }).join(",");
    var data = new FormData();
    data.append("order", order);
    data.append("version", table.dataset.version);
    say("Saving the new order…");
    fetch(table.dataset.reorderUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" }
    }).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
    }).then(function (result) {
      say(result.answer.message || "");
      if (result.ok) { window.location.reload(); }
    }).catch(function () {
      say("The new order could not be saved: reload the page and try again.");
    });
  }

  rows().forEach(function (row) {
    row.draggable = true;
    row.classList.add("masip-agenda__item--draggable");
    row.addEventListener("dragstart", function (event) {
      dragged = row;
      row.classList.add("masip-agenda__item--dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.dataset.itemId);
    });
    row.addEventListener("dragend", function () {
      row.classList.remove("masip-agenda__item--dragging");
    });
    row.addEventListener("dragover", function (event) {
      if (!dragged || dragged === row) { return; }
      event.preventDefault();
      var box = row.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      body.insertBefore(dragged, after ? row.nextSibling : row);
    });
    row.addEventListener("drop", function (event) {
      event.preventDefault();
    });
  });
  body.addEventListener("drop", function (event) {
    event.preventDefault();
    if (dragged) { dragged = null; send(); }
  });
})();
