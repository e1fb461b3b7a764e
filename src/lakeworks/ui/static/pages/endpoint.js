// An endpoint's page: requests per second, error rate and latency per slot (uPlot, from
// #series-data, redrawn when htmx swaps in new data), the configuration changes marked on
// each chart, and a bar chart of each slot's drift scores (from its drift fragment).
"use strict";
(() => {
  let shown = null;  // the series text drawn last: redraw only when it changes

  function markers(series) {
    return series.changes.map((c) => ({
      x: c.created_ms / 1000, label: `v${c.version} ${c.action}`, bad: c.action === "auto-rollback",
    }));
  }

  function draw(id, xs, lines, marks) {
    const node = document.getElementById(id);
    if (node.chart) node.chart.destroy();
    node.chart = null;
    if (!lines.length) return;
    node.chart = lwCharts.lines(node, xs, lines, { time: true, height: 180, points: true, markers: marks });
  }

  function drawSeries() {
    const text = document.getElementById("series-data")?.textContent;
    if (!text || text === shown) return;
    shown = text;
    const series = JSON.parse(text);
    const xs = series.times.map((t) => t / 1000);
    const marks = markers(series);
    const colour = (i) => lwCharts.palette[i % lwCharts.palette.length];
    const named = (s) => `${s.slot} ${s.model}`;
    draw("chart-rate", xs, series.slots.map((s, i) => ({ label: named(s), values: s.rate, stroke: colour(i) })), marks);
    draw("chart-errors", xs, series.slots.map((s, i) => ({
      label: named(s), values: s.error_rate.map((r) => (r === null ? null : r * 100)), stroke: colour(i),
    })), marks);
    draw("chart-latency", xs, series.slots.flatMap((s, i) => [
      { label: `${named(s)} p50`, values: s.p50_ms, stroke: colour(i) },
      { label: `${named(s)} p99`, values: s.p99_ms, stroke: colour(i), dash: [6, 4] },
    ]), marks);
    document.getElementById("endpoint-charts").hidden = !series.slots.length;
  }

  function drawDrift() {
    for (const node of document.querySelectorAll("[data-drift]")) {
      if (node.chart) continue;
      const found = lw.data(node.dataset.drift);
      const xs = found.names.map((_, i) => i);
      node.chart = lwCharts.bars(node, xs, found.scores, { label: "score", names: found.names });
    }
  }

  drawSeries();
  document.body.addEventListener("htmx:afterSettle", () => { drawSeries(); drawDrift(); });
})();
