// Compare runs: a chart per metric with a line per run over steps (uPlot.join aligns the
// runs' steps), and parallel coordinates (SVG) of the params against a chosen metric.
"use strict";
(() => {
  const data = lw.data("compare-data");
  const names = Object.fromEntries(data.runs.map((r) => [r.id, r.name]));
  // a run keeps its colour on every chart and in the parallel coordinates
  const colour = Object.fromEntries(data.runs.map((r, n) => [r.id, lwCharts.palette[n % lwCharts.palette.length]]));

  function charts() {
    const box = document.getElementById("compare-charts");
    for (const [key, byRun] of Object.entries(data.histories)) {
      const ids = data.runs.map((r) => r.id).filter((id) => byRun[id]);
      const joined = uPlot.join(ids.map((id) => byRun[id]));
      const few = ids.every((id) => byRun[id][0].length < 3);  // single points: draw them
      const figure = lw.element("figure", { class: "chart", role: "img", "aria-label": `${key} over steps, per run` });
      figure.appendChild(lw.element("figcaption", {}, key));
      box.appendChild(figure);
      const series = ids.map((id, i) => ({ label: names[id], values: joined[i + 1], stroke: colour[id] }));
      lwCharts.lines(figure, joined[0], series, { points: few });
    }
    document.body.dataset.charts = String(Object.keys(data.histories).length);
  }

  // one axis per param (numbers scaled, other values spread evenly) and the metric last
  function axes(metric) {
    const keys = [...new Set(data.runs.flatMap((r) => Object.keys(r.params)))].sort();
    const out = keys.map((key) => axis(key, data.runs.map((r) => r.params[key])));
    out.push(axis(metric, data.runs.map((r) => r.metrics[metric])));
    return out;
  }

  function axis(label, raw) {
    const numeric = raw.every((v) => v === undefined || v === null || !Number.isNaN(Number(v)));
    if (numeric) {
      const nums = raw.filter((v) => v !== undefined && v !== null).map(Number);
      const lo = Math.min(...nums), hi = Math.max(...nums);
      return { label, at: (v) => (v === undefined || v === null ? null : hi === lo ? 0.5 : (Number(v) - lo) / (hi - lo)), lo, hi };
    }
    const levels = [...new Set(raw.filter((v) => v !== undefined))].sort();
    return { label, at: (v) => (v === undefined ? null : (levels.indexOf(v) + 0.5) / levels.length), levels };
  }

  function svg(tag, attrs) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function coords() {
    const box = document.getElementById("coords");
    const select = document.getElementById("coords-metric");
    if (!box || !select) return;
    const list = axes(select.value);
    const width = Math.max(box.clientWidth, 480), height = 300, pad = 40;
    const x = (i) => pad + (i * (width - 2 * pad)) / Math.max(list.length - 1, 1);
    const y = (t) => height - pad - t * (height - 2 * pad);
    const root = svg("svg", { width, height, class: "coords" });
    list.forEach((a, i) => {
      root.appendChild(svg("line", { x1: x(i), x2: x(i), y1: y(0), y2: y(1), stroke: "#57606a" }));
      const title = svg("text", { x: x(i), y: pad - 16, "text-anchor": "middle", "font-size": 12, fill: "#1b1f24" });
      title.textContent = a.label;
      root.appendChild(title);
    });
    const metric = list[list.length - 1];
    data.runs.forEach((r) => {
      const values = list.slice(0, -1).map((a) => a.at(r.params[a.label]));
      values.push(metric.at(r.metrics[select.value]));
      const points = values.map((t, i) => (t === null ? null : `${x(i)},${y(t)}`)).filter(Boolean);
      const line = svg("polyline", { points: points.join(" "), fill: "none", "stroke-width": 2,
        stroke: colour[r.id], "data-run": r.id });
      const tip = svg("title", {});
      tip.textContent = `${r.name}: ${select.value} = ${r.metrics[select.value] ?? "—"}`;
      line.appendChild(tip);
      root.appendChild(line);
    });
    box.textContent = "";
    box.appendChild(root);
  }

  charts();
  coords();
  const select = document.getElementById("coords-metric");
  if (select) select.addEventListener("change", coords);
})();
