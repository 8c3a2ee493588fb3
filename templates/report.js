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
