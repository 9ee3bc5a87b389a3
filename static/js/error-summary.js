// The error summary at the top of a form that came back with problems
// (templates/includes/error_summary.html), as GOV.UK's error summary behaves:
// - it takes focus when the page loads, so that the reader starts from it (its
//   "autofocus" does that without script where the browser honours it on any element),
//   and the page's title says there is an error;
// - a link of it moves focus to its field, scrolled so that the field's label (or the
//   legend of its group) is in view above it, not hidden above the top of the window.
(function () {
  "use strict";
  // Each summary's script loads this file; the first run does the work for all of them.
  var summaries = document.querySelectorAll("[data-error-summary]:not([data-ready])");
  if (!summaries.length) return;

  if (document.title.indexOf("Error: ") !== 0) document.title = "Error: " + document.title;
  if (!document.querySelector("[data-error-summary][data-ready]")) summaries[0].focus();

  var CONTROLS = "input:not([type=hidden]), select, textarea";

  function inputOf(target) {
    if (target.matches(CONTROLS)) return target;
    // A group of radio buttons or checkboxes: the chosen one, else the first.
    return target.querySelector("input:checked") || target.querySelector(CONTROLS);
  }

  function followLink(event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    var input = target && inputOf(target);
    if (!input) return;
    event.preventDefault();
    var context = input.closest("fieldset, .field") || input;
    context.scrollIntoView();
    input.focus({ preventScroll: true });
  }

  Array.prototype.forEach.call(summaries, function (summary) {
    summary.setAttribute("data-ready", "");
    summary.addEventListener("click", followLink);
  });
})();
