// Charts over the vendored uPlot: lines over x, and bars. Load uPlot before this file.
// uPlot draws at a fixed width, so every chart made here is kept (with its container) and
// redrawn at the container's width after the window is resized (one debounced listener).
"use strict";
const lwCharts = (() => {
  const palette = ["#0b5cad", "#b42318", "#116329", "#7a4b00", "#6639ba", "#0e7490"];
  const drawn = new Map();  // chart -> its container; a destroyed chart leaves on the next fit
  let pending = null;

  function width(node) {
    return Math.max(240, node.clientWidth || node.parentNode.clientWidth || 320);
  }

  function keep(node, chart) {
    drawn.set(chart, node);
    return chart;
  }

  // each chart to its container's width; charts no longer on the page are forgotten
  function fit() {
    for (const [chart, node] of drawn) {
      if (!chart.root.isConnected) {
        drawn.delete(chart);
        continue;
      }
      const wide = width(node);
      if (wide !== chart.width) chart.setSize({ width: wide, height: chart.height });
    }
  }

  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(fit, 150);
  });

  // series: [{label, values, stroke?, dash?}], xs: numbers (time in seconds when time is
  // true); markers: [{x, label, bad?}] drawn as dashed vertical lines (the chart keeps
  // them as .markers)
  function lines(node, xs, series, { time = false, height = 200, points = false, markers = [] } = {}) {
    const opts = {
      width: width(node), height,
      scales: { x: { time } },
      series: [{}, ...series.map((s, i) => ({
        label: s.label, stroke: s.stroke || palette[i % palette.length], width: 2,
        dash: s.dash, points: { show: points }, spanGaps: false,
      }))],
      axes: [{}, { size: 60 }],
      plugins: markers.length ? [markerPlugin(markers)] : [],
    };
    const chart = new uPlot(opts, [xs, ...series.map((s) => s.values)], node);
    chart.markers = markers;
    return keep(node, chart);
  }

  function markerPlugin(markers) {
    const draw = (u) => {
      const { ctx, bbox } = u, ratio = uPlot.pxRatio;
      ctx.save();
      ctx.font = `${11 * ratio}px sans-serif`;
      ctx.lineWidth = ratio;
      ctx.setLineDash([4 * ratio, 3 * ratio]);
      let last = -Infinity, line = 0;
      for (const m of markers) {
        const x = Math.round(u.valToPos(m.x, "x", true));
        if (x < bbox.left || x > bbox.left + bbox.width) continue;
        line = x - last < 90 * ratio ? line + 1 : 0;  // labels of near changes stack
        last = x;
        ctx.strokeStyle = ctx.fillStyle = m.bad ? "#b42318" : "#57606a";
        ctx.beginPath();
        ctx.moveTo(x, bbox.top);
        ctx.lineTo(x, bbox.top + bbox.height);
        ctx.stroke();
        const left = x + 3 * ratio + ctx.measureText(m.label).width > bbox.left + bbox.width;
        ctx.textAlign = left ? "right" : "left";
        ctx.fillText(m.label, x + (left ? -3 : 3) * ratio, bbox.top + (11 + 12 * line) * ratio);
      }
      ctx.restore();
    };
    return { hooks: { draw: [draw] } };
  }

  function bars(node, xs, values, { label = "value", height = 160, names = null } = {}) {
    const opts = {
      width: width(node), height,
      scales: { x: { time: false, range: (u, min, max) => [min - 0.5, max + 0.5] } },  // whole end bars
      series: [{}, { label, fill: "#0b5cad99", stroke: "#0b5cad",
        paths: uPlot.paths.bars({ size: [0.9, 60] }), points: { show: false } }],
      axes: [names ? { values: (u, ticks) => ticks.map((t) => names[t] ?? "") } : {}, { size: 60 }],
      legend: { show: false },
    };
    return keep(node, new uPlot(opts, [xs, values], node));
  }

  return { lines, bars, palette, fit };
})();
