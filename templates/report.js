// Printing: the reverted changes, in closed <details>, are opened for the print and closed
// again afterwards (report.css also shows them in print where ::details-content exists).
(function () {
  "use strict";
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.reverted:not([open])").forEach(function (details) {
      details.open = true;
      opened.push(details);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (details) { details.open = false; });
    opened = [];
  });
}());

// Optional: on an article's full timeline, the field-group filters work in place.
// Without JavaScript each filter link opens a page of its own, which this saves.
(function () {
  "use strict";
  var timeline = document.querySelector("#timeline[data-all]");
  if (!timeline) { return; }
  var links = timeline.querySelectorAll("nav.filters a[data-filter]");
  function show(group) {
    timeline.querySelectorAll("li.change").forEach(function (li) {
      li.hidden = group !== "" && li.getAttribute("data-group") !== group;
    });
    document.querySelectorAll("#facts tr[data-group]").forEach(function (row) {
      row.hidden = group !== "" && row.getAttribute("data-group") !== group;
    });
    timeline.querySelectorAll("section.day").forEach(function (day) {
      day.hidden = !day.querySelector("li.change:not([hidden])");
    });
    links.forEach(function (a) {
      if (a.getAttribute("data-filter") === group) { a.setAttribute("aria-current", "page"); }
      else { a.removeAttribute("aria-current"); }
    });
  }
  links.forEach(function (a) {
    a.addEventListener("click", function (event) {
      event.preventDefault();
      show(a.getAttribute("data-filter"));
    });
  });
}());

// The as-of pages' date picker: any date opens the page of the last day the facts changed
// on or before it (a quiet day reads as the day before it), from file:// and offline. The
// as-of index lists those days; a day page sends the date there as ?at=DATE (which
// `wikimon serve` answers itself). Without JavaScript the picker stays hidden.
(function () {
  "use strict";
  var picker = document.querySelector("p.picker[data-index]");
  if (!picker) { return; }
  var input = picker.querySelector("input[type=date]");
  var none = picker.querySelector("#picker-none");
  var days = Array.prototype.map.call(
    document.querySelectorAll("section.days a[data-day]"),
    function (a) { return { day: a.getAttribute("data-day"), href: a.href }; }
  );
  function pageOf(date) {
    var found = null;
    days.forEach(function (entry) { if (entry.day <= date) { found = entry; } });
    return found;
  }
  function show(date, replace) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) { return; }
    if (!days.length) {  // a day page: the index knows the days
      window.location.href = picker.getAttribute("data-index") + "?at=" + date;
      return;
    }
    var target = pageOf(date);
    none.hidden = target !== null;
    if (target === null) { input.value = date; return; }
    if (replace) { window.location.replace(target.href); } else { window.location.href = target.href; }
  }
  picker.hidden = false;
  picker.querySelector("#picker-show").addEventListener("click", function () { show(input.value, false); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); show(input.value, false); }
  });
  var asked = /[?&]at=(\d{4}-\d{2}-\d{2})(?:&|$)/.exec(window.location.search);
  if (asked && days.length) { show(asked[1], true); }
}());

// The index's filter box: rows whose title or wiki contain the text typed, at once.
(function () {
  "use strict";
  var box = document.querySelector("p.filter[hidden]");
  var table = document.querySelector("table.articles");
  if (!box || !table) { return; }
  var input = box.querySelector("input");
  var count = box.querySelector("output");
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-title]"));
  function apply() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = (row.getAttribute("data-title") + " " + row.getAttribute("data-wiki")).toLowerCase();
      row.hidden = !words.every(function (w) { return text.indexOf(w) !== -1; });
      if (!row.hidden) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length;
  }
  box.hidden = false;
  input.addEventListener("input", apply);
  apply();
}());
