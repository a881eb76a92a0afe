// The collaboration map's interactive network chart (app/templates/results/_collaboration.html).
// The page carries the Plotly figure in a data block:
//   <div data-collaboration-chart data-plotly-src="..." data-plotly-css="...">
//     <button data-network-show hidden>...</button>
//     <div class="maps-chart" id="collaboration-chart" data-figure="collaboration-figure" hidden></div>
//     <script type="application/json" id="collaboration-figure">{...}</script>
// plotly.js (about 1 MB) is fetched only when the button is pressed, so the results page
// loads without it. Its stylesheet is linked with the id and class that stop plotly.js from
// injecting a <style> element, which the Content-Security-Policy refuses. Kept in a file,
// not inline, for the same policy. Without JavaScript the drawing and the table beside it
// carry the same figures.
(function () {
  "use strict";

  var loading = null;

  function loadPlotly(box) {
    if (window.Plotly) return Promise.resolve();
    if (loading) return loading;
    loading = new Promise(function (resolve, reject) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.id = "plotly.js-style-global";
      link.className = "no-inline-styles";
      link.href = box.getAttribute("data-plotly-css");
      document.head.appendChild(link);
      var script = document.createElement("script");
      script.src = box.getAttribute("data-plotly-src");
      script.onload = function () { resolve(); };
      script.onerror = function () { loading = null; reject(new Error("plotly.js")); };
      document.head.appendChild(script);
    });
    return loading;
  }

  function draw(box, button) {
    var chart = box.querySelector(".maps-chart[data-figure]");
    var block = document.getElementById(chart.getAttribute("data-figure"));
    var figure = JSON.parse(block.textContent);
    button.disabled = true;
    loadPlotly(box).then(function () {
      chart.hidden = false;
      var layout = figure.layout || {};
      layout.autosize = true;
      return window.Plotly.newPlot(chart, figure.data || [], layout, {
        displayModeBar: false, responsive: true, scrollZoom: false, doubleClick: false
      });
    }).then(function () {
      chart.classList.add("maps-chart--drawn");
      button.hidden = true;
      var drawing = document.getElementById("figure-collaboration");
      if (drawing) drawing.hidden = true;
      chart.focus();
    }, function () {
      button.disabled = false;
      button.textContent = "The chart could not be loaded: try again";
    });
  }

  function start() {
    var boxes = document.querySelectorAll("[data-collaboration-chart]");
    for (var i = 0; i < boxes.length; i++) {
      (function (box) {
        var button = box.querySelector("[data-network-show]");
        if (!button) return;
        button.hidden = false;
        button.addEventListener("click", function () { draw(box, button); });
      })(boxes[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
