/*
 * Daifuku page behaviour. Loaded after htmx with `defer`; no inline scripts anywhere (CSP script-src 'self').
 *
 * - htmx: no eval, same-origin requests only; the CSRF token travels in `hx-headers` on <body>
 *   (and is added here too for requests whose element overrides hx-headers).
 * - 422 responses (form errors) are swapped like 200 so partial forms can show field errors.
 * - `data-confirm="…"` on a form or a submit button asks before submitting.
 * - `data-autosubmit` on a select submits its form when changed.
 */
(function () {
  "use strict";

  function csrfToken() {
    var raw = document.body && document.body.getAttribute("hx-headers");
    if (!raw) {
      return "";
    }
    try {
      return JSON.parse(raw)["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  if (window.htmx) {
    htmx.config.allowEval = false;
    htmx.config.allowScriptTags = false;
    htmx.config.selfRequestsOnly = true;
    htmx.config.historyCacheSize = 0;
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "[45]..", swap: false, error: true },
    ];
    document.addEventListener("htmx:configRequest", function (event) {
      if (!event.detail.headers["X-CSRFToken"]) {
        event.detail.headers["X-CSRFToken"] = csrfToken();
      }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message =
      (submitter && submitter.getAttribute("data-confirm")) || (form && form.getAttribute("data-confirm"));
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.requestSubmit();
    }
  });

  // Close the search suggestions when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("[data-suggest-box]").forEach(function (box) {
      if (!box.parentElement.contains(event.target)) {
        box.innerHTML = "";
      }
    });
  });
})();
