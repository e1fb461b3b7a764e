// Charts over the vendored uPlot: lines over x, and bars. Load uPlot before this file.
"use strict";
const lwCharts = (() => {
  const palette = ["#0b5cad", "#b42318", "#116329", "#7a4b00", "#6639ba", "#0e7490"];

  function width(node) {
    return Math.max(240, node.clientWidth || node.parentNode.clientWidth || 320);
  }

  // series: [{label, values, stroke?}], xs: numbers (time in seconds when time is true)
  function lines(node, xs, series, { time = false, height = 200, points = false } = {}) {
    const opts = {
      width: width(node), height,
      scales: { x: { time } },
      series: [{}, ...series.map((s, i) => ({
        label: s.label, stroke: s.stroke || palette[i % palette.length], width: 2,
        points: { show: points },
      }))],
      axes: [{}, { size: 60 }],
    };
    return new uPlot(opts, [xs, ...series.map((s) => s.values)], node);
  }

  function bars(node, xs, values, { label = "value", height = 160, names = null } = {}) {
    const opts = {
      width: width(node), height,
      scales: { x: { time: false } },
      series: [{}, { label, fill: "#0b5cad99", stroke: "#0b5cad",
        paths: uPlot.paths.bars({ size: [0.9, 60] }), points: { show: false } }],
      axes: [names ? { values: (u, ticks) => ticks.map((t) => names[t] ?? "") } : {}, { size: 60 }],
      legend: { show: false },
    };
    return new uPlot(opts, [xs, values], node);
  }

  return { lines, bars, palette };
})();
