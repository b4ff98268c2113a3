// autotriage console: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";

  // Filters apply as soon as a select changes (the Apply button stays for keyboards),
  // and empty or default fields stay out of the URL so a shared link reads well.
  var filters = document.querySelector("form.filters");
  if (filters) {
    filters.addEventListener("submit", function () {
      Array.prototype.forEach.call(filters.elements, function (field) {
        var fallback = field.getAttribute("data-default") || "";
        var kept = field.name === "status" || field.name === "cols" || field.type === "checkbox";
        if (field.name && !kept && field.value === fallback) { field.disabled = true; }
      });
      // The default columns need no parameters at all.
      var picker = filters.querySelector("fieldset[data-default]");
      if (picker) {
        var boxes = Array.prototype.slice.call(picker.querySelectorAll("input[name=col]"));
        var ticked = boxes.filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
        if (ticked.join(",") === picker.getAttribute("data-default")) {
          picker.querySelectorAll("input").forEach(function (field) { field.disabled = true; });
        }
      }
    });
    filters.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () { filters.requestSubmit(); });
    });
  }

  // "/" focuses the search box, as in most consoles; Escape leaves it.
  var search = document.querySelector("[data-shortcut='/']");
  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
    if (event.key === "/" && search && !typing) { event.preventDefault(); search.focus(); }
    if (event.key === "Escape" && document.activeElement === search) { search.blur(); }
  });

  // Bulk selection: a select-all box and a live count of ticked groups.
  var bulk = document.getElementById("bulk");
  if (!bulk) { return; }
  var all = document.getElementById("select-all");
  var boxes = Array.prototype.slice.call(bulk.querySelectorAll("input[name=group]"));
  var label = document.getElementById("selected-count");
  function update() {
    var ticked = boxes.filter(function (box) { return box.checked; });
    boxes.forEach(function (box) { box.closest("tr").classList.toggle("selected", box.checked); });
    if (label) {
      label.textContent = ticked.length ? ticked.length + " selected" : "Tick groups to act on several at once.";
    }
    if (all) {
      all.checked = ticked.length === boxes.length && boxes.length > 0;
      all.indeterminate = ticked.length > 0 && ticked.length < boxes.length;
    }
  }
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  update();
})();
