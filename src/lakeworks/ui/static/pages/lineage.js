// The lineage graph: Cytoscape over positions the server computed (ui/layout.py: layers by
// longest path, sources left, ordered to keep edges short), so 1,000 nodes draw at once.
// The page embeds the graph compactly: {root, nodes: [[id, x, y]], edges: [[source index,
// target index, runs, columns]]}; "expand" adds a node's neighbours from the REST API.
"use strict";
(() => {
  performance.mark("lw-lineage-start");
  const graph = lw.data("lineage-data");
  performance.mark("lw-lineage-parsed");
  const detail = document.getElementById("lineage-detail");
  const edges = new Map();  // "source|target" -> {source, target, runs, columns}
  const at = new Map(graph.nodes.map(([id, x, y]) => [id, { x, y }]));
  const root = graph.nodes[graph.root][0];
  const X = 320, Y = 56;

  function addEdge(e) {
    const key = `${e.source}|${e.target}`;
    const known = edges.get(key);
    if (!known) { edges.set(key, e); return true; }
    known.runs.push(...e.runs);
    for (const [column, sources] of Object.entries(e.columns)) {
      known.columns[column] = [...new Set([...(known.columns[column] || []), ...sources])];
    }
    return false;
  }

  // new nodes of an expansion: one column beside the expanded node, below what is there
  function placeNew(from, nodes, direction) {
    const base = at.get(from);
    const x = base.x + (direction === "upstream" ? -X : X);
    let y = -Infinity;
    for (const spot of at.values()) if (Math.abs(spot.x - x) < 1) y = Math.max(y, spot.y);
    y = y === -Infinity ? base.y - ((nodes.length - 1) / 2) * Y : y + Y;
    nodes.forEach((id, i) => at.set(id, { x, y: y + i * Y }));
  }

  const name = (id) => id.slice(id.indexOf(":") + 1);
  const kind = (id) => id.slice(0, id.indexOf(":"));
  const columnsLabel = (e) => Object.entries(e.columns).map(([c, s]) => `${c} ← ${s.join(", ")}`).join("\n");

  function elements(nodes, newEdges, at) {
    const out = nodes.map((id) => ({ group: "nodes", data: { id, label: name(id), kind: kind(id) }, position: at.get(id),
      classes: id === root ? "root" : kind(id) }));
    for (const e of newEdges) out.push({ group: "edges", data: { id: `${e.source}|${e.target}`, source: e.source, target: e.target, columns: columnsLabel(e) } });
    return out;
  }

  for (const [s, t, runs, columns] of graph.edges) {
    addEdge({ source: graph.nodes[s][0], target: graph.nodes[t][0], runs, columns });
  }
  performance.mark("lw-lineage-placed");
  const big = at.size > 300;
  const cy = cytoscape({
    container: document.getElementById("lineage-graph"),
    elements: elements([...at.keys()], [...edges.values()], at),
    layout: { name: "preset" },
    style: [
      { selector: "node", style: { label: big ? "" : "data(label)", "font-size": 11, "text-valign": "center",
        shape: big ? "rectangle" : "round-rectangle", width: 170, height: 30, "background-color": "#e8f0fa",
        "border-color": "#0b5cad", "border-width": 1, color: "#1b1f24", "min-zoomed-font-size": 8 } },
      { selector: "node.named", style: { label: "data(label)" } },  // big graphs: once zoomed in
      { selector: "node.root", style: { "background-color": "#0b5cad", color: "#ffffff", "border-width": 2 } },
      { selector: "node.file, node.query, node.url, node.stream, node.data", style: { "background-color": "#f6f8fa", shape: "ellipse" } },
      { selector: "node.run, node.model", style: { "background-color": "#fdf1e4", "border-color": "#9a4a08" } },
      { selector: "node.view", style: { "background-color": "#e9f6ec", "border-color": "#1a7f37" } },
      { selector: "node.endpoint, node.prediction", style: { "background-color": "#f3eefc", "border-color": "#6639ba", shape: "hexagon" } },
      { selector: "node:selected", style: { "border-color": "#c2410c", "border-width": 3 } },
      { selector: "edge", style: { "curve-style": big ? "haystack" : "bezier", "target-arrow-shape": big ? "none" : "triangle",
        width: 1.2, "line-color": "#8c959f", "target-arrow-color": "#8c959f" } },
      { selector: "edge:selected", style: { "line-color": "#c2410c", "target-arrow-color": "#c2410c", width: 2.5 } },
      { selector: "edge.columns", style: { label: "data(columns)", "font-size": 9, "text-wrap": "wrap", "text-background-color": "#ffffff",
        "text-background-opacity": 1, "min-zoomed-font-size": 6 } },
    ],
    wheelSensitivity: 0.3, maxZoom: 2.5,
    textureOnViewport: big, hideEdgesOnViewport: big, pixelRatio: big ? 1 : "auto", motionBlur: false,
  });
  performance.mark("lw-lineage-drawn");
  cy.ready(() => {
    document.getElementById("graph-size").textContent = `${cy.nodes().length} nodes · ${cy.edges().length} edges`;
    document.body.dataset.graphReady = String(performance.now());
  });

  function say(...nodes) {
    detail.replaceChildren(lw.element("h2", {}, "Details"), ...nodes);
  }

  // the page of a node's object, when it has one
  const pages = { table: (n) => `tables/${n}`, run: (n) => `runs/${n}`, view: (n) => `features/view/${n}`,
    endpoint: (n) => `endpoints/${n}`,
    model: (n) => `models/${n.slice(0, n.lastIndexOf("/"))}?version=${n.slice(n.lastIndexOf("/") + 1)}` };
  const walked = new Set(["table", "run", "model", "view", "endpoint", "prediction"]);  // kinds with a lineage of their own

  function showNode(node) {
    const id = node.id(), k = node.data("kind");
    const parts = [lw.element("p", {}, `${k} `)];
    const page = pages[k];
    parts[0].append(page ? lw.element("a", { href: `/w/${lw.ws}/${page(name(id))}` }, name(id)) : lw.element("code", {}, name(id)));
    if (walked.has(k)) {
      const up = lw.element("button", { type: "button", class: "secondary", id: "expand-up" }, "Expand upstream");
      const down = lw.element("button", { type: "button", class: "secondary", id: "expand-down" }, "Expand downstream");
      up.addEventListener("click", () => expand(id, "upstream"));
      down.addEventListener("click", () => expand(id, "downstream"));
      const recentre = lw.element("a", { href: `/w/${lw.ws}/lineage?node=${encodeURIComponent(id)}` }, "Centre the graph here");
      parts.push(lw.element("p", { class: "toolbar" }), lw.element("p"));
      parts[1].append(up, down);
      parts[2].append(recentre);
    }
    say(...parts);
  }

  function showEdge(edge) {
    const e = edges.get(edge.id());
    const list = lw.element("ul", { class: "plain" });
    for (const run of e.runs.slice(-20).reverse()) {
      const by = run.user ? ` by ${run.user}` : "", at = run.at ? ` at ${run.at.slice(0, 19)}` : "";
      const item = lw.element("li", {}, `${run.operation}${by}${at} (${run.job}) `);
      if (run.pipeline_run_id) item.append(lw.element("a", { href: `/w/${lw.ws}/pipeline-runs/${run.pipeline_run_id}` }, `run #${run.pipeline_run_id}`));
      if (run.sql) item.append(lw.element("pre", {}, run.sql));
      list.append(item);
    }
    const columns = lw.element("pre", {}, columnsLabel(e) || "no column mapping recorded");
    say(lw.element("p", {}, `${name(e.source)} → ${name(e.target)}`), lw.element("h3", {}, "Columns"), columns,
      lw.element("h3", {}, `Runs (${e.runs.length})`), list);
  }

  async function expand(id, direction) {
    try {
      const found = await lw.api("GET", `/lineage?node=${encodeURIComponent(id)}&depth=1`);
      const fresh = [];
      for (const e of found.edges) {
        const upstream = e.target === id, downstream = e.source === id;
        if ((direction === "upstream" ? upstream : downstream) && addEdge(e)) fresh.push(e);
      }
      const nodes = [...new Set(fresh.map((e) => (e.source === id ? e.target : e.source)))].filter((n) => !at.has(n));
      placeNew(id, nodes, direction);
      cy.add(elements(nodes, fresh, at));
      document.getElementById("graph-size").textContent = `${cy.nodes().length} nodes · ${cy.edges().length} edges`;
      lw.notice(`${direction}: ${nodes.length} new nodes, ${fresh.length} new edges`);
    } catch (error) { lw.notice(error.message, true); }
  }

  if (big) {  // measuring a thousand labels up front costs more than drawing the graph
    let named = false;
    const name = () => {  // only when the zoom crosses the line, not on every wheel step
      if ((cy.zoom() > 0.45) !== named) { named = !named; cy.nodes().toggleClass("named", named); }
    };
    cy.on("zoom", name);
    name();
  }
  cy.on("select", "node", (event) => showNode(event.target));
  cy.on("select", "edge", (event) => showEdge(event.target));
  document.getElementById("show-columns").addEventListener("change", (event) => {
    cy.edges().toggleClass("columns", event.target.checked);
  });
  document.getElementById("fit-graph").addEventListener("click", () => cy.fit(undefined, 30));
  window.lwLineage = cy;  // for tests and the benchmark
})();
