/*
 * Event form helper (no inline scripts: CSP script-src 'self').
 * When the start time changes and the end is empty or before it, the end moves to start + 1 hour.
 */
(function () {
  "use strict";

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function localValue(date) {
    return (
      date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes())
    );
  }

  document.addEventListener("change", function (event) {
    var start = event.target;
    if (!start || start.id !== "id_start_at") {
      return;
    }
    var end = document.getElementById("id_end_at");
    if (!end || !start.value) {
      return;
    }
    var startDate = new Date(start.value);
    if (isNaN(startDate.getTime())) {
      return;
    }
    if (!end.value || new Date(end.value) <= startDate) {
      end.value = localValue(new Date(startDate.getTime() + 60 * 60 * 1000));
    }
  });
})();
