// A pipeline's page: its DAG (Cytoscape), trigger with parameters, backfill.
"use strict";
(() => {
  const tasks = lw.data("dag-data");
  const elements = tasks.map((t) => ({ data: { id: t.name, label: `${t.name}\n${t.kind}` } }));
  for (const t of tasks) for (const dep of t.deps) elements.push({ data: { id: `${dep}->${t.name}`, source: dep, target: t.name } });
  cytoscape({
    container: document.getElementById("dag"),
    elements,
    layout: { name: "breadthfirst", directed: true, spacingFactor: 1.1 },
    style: [
      { selector: "node", style: { label: "data(label)", "text-wrap": "wrap", "text-valign": "center", "font-size": 11,
        shape: "round-rectangle", width: "label", height: "label", padding: "8px", "background-color": "#e8f0fa",
        "border-color": "#0b5cad", "border-width": 1, color: "#1b1f24" } },
      { selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "triangle", width: 1.5,
        "line-color": "#57606a", "target-arrow-color": "#57606a" } },
    ],
    wheelSensitivity: 0.3,
    maxZoom: 1.4,
  });

  const trigger = document.getElementById("trigger-form");
  trigger.addEventListener("submit", async (event) => {
    event.preventDefault();
    const params = {};
    for (const input of trigger.querySelectorAll("input")) {
      if (input.value === "") continue;
      const type = input.dataset.type;
      params[input.name] = type === "int" || type === "float" ? Number(input.value)
        : type === "bool" ? input.value === "true" : input.value;
    }
    try {
      const run = await lw.api("POST", `/pipelines/${trigger.dataset.pipeline}/runs`, { params, wait: false });
      location.href = `/w/${lw.ws}/pipeline-runs/${run.id}`;
    } catch (error) { lw.notice(error.message, true); }
  });

  const backfill = document.getElementById("backfill-form");
  if (backfill) backfill.addEventListener("submit", async (event) => {
    event.preventDefault();
    const start = backfill.elements.start.value, end = backfill.elements.end.value;
    try {
      const done = await lw.api("POST", `/pipelines/${backfill.dataset.pipeline}/backfills`,
        { start: `${start}T00:00:00Z`, end: `${end}T00:00:00Z`, wait: false });
      sessionStorage.setItem("lw-notice", `Backfill ${done.backfill ?? ""} queued: ${done.created ?? 0} new runs`);
      location.reload();
    } catch (error) { lw.notice(error.message, true); }
  });
})();
