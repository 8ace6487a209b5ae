/*
 * 営業活動管理 charts: Chart.js (vendored) fed by the JSON endpoint named in data-url.
 * No inline scripts (CSP script-src 'self'); labels come from data-label-* attributes.
 */
(function () {
  "use strict";

  var COLOURS = ["#0d6efd", "#198754", "#d63384", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#0dcaf0",
    "#6c757d", "#ffc107", "#adb5bd"];

  function draw(box, data) {
    var kinds = document.getElementById("chart-kinds");
    var reps = document.getElementById("chart-reps");
    if (kinds) {
      new window.Chart(kinds, {
        type: "doughnut",
        data: {
          labels: data.kinds.labels,
          datasets: [{ data: data.kinds.values, backgroundColor: COLOURS }],
        },
        options: { maintainAspectRatio: false, plugins: { legend: { position: window.innerWidth < 768 ? "bottom" : "right" } } },
      });
    }
    if (reps) {
      var series = [
        ["activities", box.dataset.labelActivities, "#0d6efd"],
        ["visits", box.dataset.labelVisits, "#198754"],
        ["new_contacts", box.dataset.labelNewContacts, "#fd7e14"],
        ["tasks_done", box.dataset.labelTasksDone, "#6f42c1"],
        ["tasks_overdue", box.dataset.labelTasksOverdue, "#dc3545"],
      ];
      new window.Chart(reps, {
        type: "bar",
        data: {
          labels: data.reps.labels,
          datasets: series.map(function (s) {
            return { label: s[1], data: data.reps[s[0]], backgroundColor: s[2] };
          }),
        },
        options: {
          maintainAspectRatio: false,
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        },
      });
    }
    box.setAttribute("data-loaded", "true");
  }

  function start() {
    var box = document.querySelector("[data-dashboard-charts]");
    if (!box || !window.Chart) {
      return;
    }
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        draw(box, data);
      })
      .catch(function () {
        box.setAttribute("data-loaded", "error");
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
