// Draws the report's charts from the Plotly JSON the page carries in data blocks:
//   <div class="maps-chart" id="chart-factors" role="img" aria-label="..."
//        data-figure="chart-factors-data"></div>
//   <script type="application/json" id="chart-factors-data">{...}</script>
// Kept in a file, not inline, so the Content-Security-Policy can forbid inline script.
// The page loads, in this order:
//   <link rel="stylesheet" id="plotly.js-style-global" class="no-inline-styles"
//         href="/static/vendor/plotly/plotly.css">   (plotly.js then injects no <style>)
//   <script src="/static/vendor/plotly/plotly.min.js" defer></script>
//   <script src="/static/charts.js" defer></script>
// Without JavaScript the tables beside each chart give the same numbers.
(function () {
  "use strict";

  function draw(container) {
    var block = document.getElementById(container.getAttribute("data-figure"));
    if (!block) return;
    var figure;
    try {
      figure = JSON.parse(block.textContent);
    } catch (error) {
      return;
    }
    var layout = figure.layout || {};
    // The PDF draws at a fixed width; on a page the chart follows its container.
    delete layout.width;
    layout.autosize = true;
    window.Plotly.newPlot(container, figure.data || [], layout, {
      displayModeBar: false,
      responsive: true,
      staticPlot: false,
      scrollZoom: false,
      doubleClick: false
    });
    container.classList.add("maps-chart--drawn");
  }

  function start() {
    if (!window.Plotly) return;
    var charts = document.querySelectorAll(".maps-chart[data-figure]");
    for (var i = 0; i < charts.length; i++) draw(charts[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
