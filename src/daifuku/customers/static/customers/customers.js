/*
 * Customers pages: the company chooser (typeahead list filled by htmx, a click picks the company id).
 * Loaded with `defer`; no inline scripts (CSP script-src 'self').
 */
(function () {
  "use strict";

  function chooserParts(element) {
    var chooser = element.closest("[data-company-chooser]");
    if (!chooser) {
      return null;
    }
    return {
      id: chooser.querySelector("[data-chooser-id]"),
      label: chooser.querySelector("[data-chooser-label]"),
      results: chooser.querySelector("[data-chooser-results]"),
    };
  }

  function setCompany(parts, id, name) {
    parts.id.value = id;
    parts.label.value = name;
    parts.results.innerHTML = "";
    // Let a filter form (hx-trigger "change") react to the chosen company.
    parts.id.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var choice = event.target.closest("[data-company-choice]");
    if (!choice) {
      return;
    }
    var parts = chooserParts(choice);
    if (!parts) {
      return;
    }
    event.preventDefault();
    setCompany(parts, choice.getAttribute("data-company-id"), choice.getAttribute("data-company-name"));
  });

  document.addEventListener("input", function (event) {
    var label = event.target.closest && event.target.closest("[data-chooser-label]");
    if (!label || label.value.trim() !== "") {
      return;
    }
    var parts = chooserParts(label);
    if (parts && parts.id.value) {
      setCompany(parts, "", "");
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    document.querySelectorAll("[data-chooser-results]").forEach(function (box) {
      box.innerHTML = "";
    });
  });
})();
