// The table page: a profile chart per column, and check results over time.
"use strict";
(() => {
  const profile = lw.data("profile-data");
  const results = lw.data("results-data") || [];
  const box = document.getElementById("profile-charts");

  for (const [column, stats] of Object.entries(profile.columns)) {
    const card = lw.element("figure", { class: "profile" });
    const caption = lw.element("figcaption");
    const nulls = profile.rows ? ((100 * stats.nulls) / profile.rows).toFixed(1) : "0";
    caption.append(lw.element("strong", {}, column), ` ${stats.type} · ${nulls}% null · ~${stats.distinct} distinct`);
    card.append(caption);
    const chart = lw.element("div", { class: "chart", role: "img", "aria-label": `distribution of ${column}` });
    card.append(chart);
    box.append(card);
    if (stats.histogram && stats.histogram.edges) drawHistogram(chart, stats.histogram.edges);
    else if (stats.top) drawTop(chart, stats.top);
    else chart.textContent = stats.min !== undefined ? `min ${lw.show(stats.min)} · max ${lw.show(stats.max)}` : "";
  }

  // equi-depth deciles: each bin holds a tenth of the values, so its density is 0.1 / width
  function drawHistogram(node, edges) {
    const xs = [], ys = [];
    for (let i = 0; i + 1 < edges.length; i++) {
      if (edges[i] === null || edges[i + 1] === null) continue;
      const span = edges[i + 1] - edges[i];
      xs.push((edges[i] + edges[i + 1]) / 2);
      ys.push(span > 0 ? 0.1 / span : 0);
    }
    if (xs.length) lwCharts.bars(node, xs, ys, { label: "density" });
  }

  function drawTop(node, top) {
    const list = lw.element("ul", { class: "plain" });
    const most = Math.max(...top.map((t) => t.count ?? 0), 1);
    for (const t of top) {
      const item = lw.element("li");
      const value = t.value ?? t;
      const bar = lw.element("span", { style: `display:inline-block;height:10px;background:#0b5cad;width:${Math.round((120 * (t.count ?? 0)) / most)}px;margin-right:6px` });
      item.append(bar, `${lw.show(value)}${t.count !== undefined ? " (" + t.count + ")" : ""}`);
      list.append(item);
    }
    node.append(list);
  }

  const chart = document.getElementById("quality-chart");
  if (chart && results.length) {
    const checks = [...new Set(results.map((r) => r.check))];
    const ordered = [...results].reverse();
    const xs = ordered.map((r) => Date.parse(r.at) / 1000);
    const series = checks.map((c) => ({ label: c, values: ordered.map((r) => (r.check === c ? r.violating : null)) }));
    lwCharts.lines(chart, xs, series, { time: true, points: true });
  }
})();
