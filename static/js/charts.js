// Draws the home page's charts with the vendored Chart.js. Each <canvas data-chart="NAME">
// reads its figures from the JSON script "chart-NAME"; the table beside it holds the same
// figures for readers who cannot see the chart.
(function () {
  "use strict";
  function draw(canvas) {
    var source = document.getElementById("chart-" + canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var colours = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00"];
    var chart = new Chart(canvas, {
      type: spec.type || "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, i) {
          return {
            label: dataset.label,
            data: dataset.data,
            backgroundColor: colours[i % colours.length],
            borderColor: colours[i % colours.length],
          };
        }),
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: spec.datasets.length > 1 } },
        scales: { x: { ticks: { precision: 0 } }, y: { ticks: { precision: 0 } } },
      },
    });
    canvas.dataset.drawn = String(chart.data.datasets[0].data.length);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
