/*
 * Draws the coordinators' dashboard (templates/reports/dashboard.html) and the public
 * figures by fiscal year (templates/figures/fiscal_years.html) with Chart.js.
 *
 * Each chart's place is an element with `data-chart`: a JSON spec built by
 * app/reports/routes.py or app/figures/routes.py (type, labels already translated, datasets of raw numbers, the
 * number format). The page's language is in `data-lang` on `.dashboard`. Nothing here is
 * evaluated from strings and no inline style is written into the markup, so the strict
 * Content-Security-Policy holds. Once a chart has been drawn its element gets
 * `data-drawn="true"` (the browser test waits for it).
 *
 * Colours are the Okabe–Ito colour-blind-safe set, keeping only those with at least 3:1
 * contrast against the white background (WCAG 1.4.11); tests/web/test_reports_web.py
 * checks the contrast. Animation is off when the reader asks for reduced motion.
 *
 * Printing: a canvas may print blank or stretched, so each chart also keeps an <img> of
 * itself (`.dash-chart-image`, shown only in print by css/dashboard.css), refreshed after
 * every render once animation is done and again just before printing. On the printable
 * page (`data-print="true"` on `.dashboard`) charts are drawn without animation, at a
 * fixed A4 width and twice the pixel density; each chart's element gets
 * `data-printed="true"` once its image is made (the browser test waits for it).
 */
(function () {
  "use strict";

  var PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#4D4D4D"];
  var TEXT = "#212529";
  var GRID = "rgba(33, 37, 41, 0.15)";
  var root = document.querySelector(".dashboard");
  if (!root || !window.Chart) return;
  var printing = root.getAttribute("data-print") === "true";
  var ROW_PX = printing ? 15 : 24; // the height of one bar's row in a horizontal chart
  var locale = root.getAttribute("data-lang") === "ja" ? "ja-JP" : "en-GB";

  var formats = {
    number: new Intl.NumberFormat(locale),
    percent: new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }),
    days: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 })
  };
  var tickFormats = {
    number: formats.number,
    percent: new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 }),
    days: formats.days
  };

  var motion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
  var still = function () { return printing || !!(motion && motion.matches); };

  Chart.defaults.color = TEXT;
  Chart.defaults.borderColor = GRID;
  Chart.defaults.locale = locale;
  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;

  // The image of a chart that the printer gets instead of its canvas.
  function snapshot(chart) {
    // A chart squeezed to nothing (its box hidden, or being laid out for paper) keeps
    // the image it had.
    if (chart.width < 40 || chart.height < 40) return;
    var holder = chart.canvas.parentNode;
    var image = holder.querySelector("img.dash-chart-image");
    if (!image) {
      image = document.createElement("img");
      image.className = "dash-chart-image";
      image.alt = chart.canvas.getAttribute("aria-label") || "";
      holder.appendChild(image);
    }
    image.src = chart.toBase64Image("image/png", 1);
    if (holder.getAttribute("data-printed") !== "true") holder.setAttribute("data-printed", "true");
  }

  // Marks the chart's element once Chart.js has rendered it; keeps its printed image.
  var drawnMarker = {
    id: "evnDrawn",
    afterRender: function (chart) {
      var holder = chart.canvas.parentNode;
      if (holder.getAttribute("data-drawn") !== "true") holder.setAttribute("data-drawn", "true");
      if (printing) snapshot(chart);
    }
  };

  function colourOf(spec, index) {
    var picks = spec.colours || [];
    return PALETTE[(index < picks.length ? picks[index] : index) % PALETTE.length];
  }

  function dataset(spec, d, index) {
    var colour = colourOf(spec, index);
    var out = { label: d.label, data: d.data, backgroundColor: colour, borderColor: colour };
    if (spec.type === "line") {
      out.pointRadius = 2;
      out.pointHoverRadius = 4;
      out.borderWidth = 2;
      out.tension = 0;
      out.fill = false;
    } else if (spec.stacked) {
      // A white line between stacked segments keeps neighbours apart whatever their hues.
      out.borderColor = "#ffffff";
      out.borderWidth = 1;
    }
    return out;
  }

  function draw(holder) {
    var spec = JSON.parse(holder.getAttribute("data-chart"));
    var horizontal = !!spec.horizontal;
    var format = formats[spec.format] || formats.number;
    var tickFormat = tickFormats[spec.format] || tickFormats.number;
    var dense = spec.labels.length > 16;
    if (horizontal) {
      // Tall enough for every label: set through the CSS object model, which the
      // Content-Security-Policy allows (a style="" attribute would not be).
      holder.style.height = Math.max(10 * 16, spec.labels.length * ROW_PX + 72) + "px";
    }
    var valueAxis = {
      beginAtZero: true,
      stacked: !!spec.stacked,
      grid: { color: GRID },
      ticks: {
        callback: function (value) { return tickFormat.format(value); }
      }
    };
    if (spec.format === "number") valueAxis.ticks.precision = 0;
    if (spec.max !== undefined) valueAxis.max = spec.max;
    var categoryAxis = {
      stacked: !!spec.stacked,
      grid: { display: false },
      ticks: { autoSkip: !horizontal, font: dense ? { size: 11 } : {} }
    };
    return new Chart(holder.querySelector("canvas"), {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d, i) { return dataset(spec, d, i); })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        devicePixelRatio: printing ? 2 : window.devicePixelRatio,
        animation: still() ? false : { onComplete: function (event) { snapshot(event.chart); } },
        indexAxis: horizontal ? "y" : "x",
        scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
        plugins: {
          legend: { display: spec.datasets.length > 1, position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                var value = horizontal ? item.parsed.x : item.parsed.y;
                return item.dataset.label + ": " + format.format(value);
              }
            }
          }
        }
      },
      plugins: [drawnMarker]
    });
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (holder) {
    try {
      charts.push(draw(holder));
    } catch (error) {
      holder.setAttribute("data-drawn", "failed");
      if (window.console) console.error("dashboard chart " + holder.id + ": " + error.message);
    }
  });

  // The reader may switch reduced motion on or off while the page is open.
  if (motion && motion.addEventListener) {
    motion.addEventListener("change", function () {
      charts.forEach(function (chart) {
        chart.options.animation = still() ? false : { onComplete: function (event) { snapshot(event.chart); } };
        chart.update("none");
      });
    });
  }

  // Before printing, every chart's image is made again from what is drawn now (the
  // window may have been resized, or animation been off so that none was made yet).
  window.addEventListener("beforeprint", function () { charts.forEach(snapshot); });
  if (!printing) {
    charts.forEach(function (chart) { if (still()) snapshot(chart); });
  }
})();
