/*
 * 売上予測 charts: Chart.js (vendored). The figures come from the json_script blocks the page
 * renders (no inline scripts: CSP script-src 'self').
 * Chart 1: bars target and won, lines weighted pipeline and best case. Chart 2: 予測の推移.
 */
(function () {
  "use strict";

  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function yen(value) {
    return "¥" + Number(value).toLocaleString();
  }

  var moneyAxis = { beginAtZero: true, ticks: { callback: yen } };
  var tooltip = {
    callbacks: {
      label: function (item) {
        return item.dataset.label + ": " + (item.raw === null ? "—" : yen(item.raw));
      },
    },
  };

  function drawForecast(canvas, data) {
    new window.Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: data.series.target, data: data.target, backgroundColor: "#adb5bd", order: 3 },
          { type: "bar", label: data.series.won, data: data.won, backgroundColor: "#198754", order: 2 },
          { type: "line", label: data.series.weighted, data: data.weighted, borderColor: "#0d6efd",
            backgroundColor: "#0d6efd", tension: 0.2, order: 1 },
          { type: "line", label: data.series.best_case, data: data.best_case, borderColor: "#fd7e14",
            backgroundColor: "#fd7e14", borderDash: [6, 4], tension: 0.2, order: 0 },
        ],
      },
      options: { maintainAspectRatio: false, scales: { y: moneyAxis }, plugins: { tooltip: tooltip } },
    });
  }

  function drawTrend(canvas, data) {
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.series.weighted, data: data.weighted, borderColor: "#0d6efd", backgroundColor: "#0d6efd" },
          { label: data.series.amount, data: data.amount, borderColor: "#6c757d", backgroundColor: "#6c757d",
            borderDash: [4, 4] },
        ],
      },
      options: { maintainAspectRatio: false, scales: { y: moneyAxis }, plugins: { tooltip: tooltip } },
    });
  }

  function start() {
    if (!window.Chart) {
      return;
    }
    var chart = document.getElementById("forecast-chart");
    var trend = document.getElementById("forecast-trend");
    if (chart) {
      drawForecast(chart, read("forecast-chart-data"));
      chart.setAttribute("data-loaded", "true");
    }
    if (trend) {
      drawTrend(trend, read("forecast-trend-data"));
      trend.setAttribute("data-loaded", "true");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
