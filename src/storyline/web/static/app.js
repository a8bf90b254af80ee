// storyline: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Timeline markers light up the matching row of the event list, and back.
  function pair(marker) {
    return document.getElementById("event-row-" + marker.getAttribute("data-event"));
  }
  document.querySelectorAll("svg .marker").forEach(function (marker) {
    var row = pair(marker);
    if (!row) { return; }
    marker.addEventListener("mouseenter", function () { row.classList.add("hl"); });
    marker.addEventListener("mouseleave", function () { row.classList.remove("hl"); });
  });
  // Hovering a quote in the quote list outlines it in the article body.
  document.querySelectorAll("[data-quote]").forEach(function (mark) {
    mark.addEventListener("mouseenter", function () { mark.classList.add("hl"); });
    mark.addEventListener("mouseleave", function () { mark.classList.remove("hl"); });
  });
  // A link to #original opens the original text.
  function openOriginal() {
    if (location.hash === "#original") {
      var box = document.getElementById("original");
      if (box) { box.open = true; }
    }
  }
  window.addEventListener("hashchange", openOriginal);
  openOriginal();
})();
