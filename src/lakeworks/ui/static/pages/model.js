// A model's page: move an alias (PUT /models/<name>/aliases/<alias>), and the fairness and
// explanation bar charts of the version shown.
"use strict";
(() => {
  const charts = lw.data("model-charts") || {};
  const fair = document.getElementById("fairness-chart");
  if (fair && charts.fairness) {
    const xs = charts.fairness.groups.map((_, i) => i);
    lwCharts.bars(fair, xs, charts.fairness.selection_rate, { label: "selection rate", names: charts.fairness.groups });
  }
  const why = document.getElementById("explanation-chart");
  if (why && charts.explanation) {
    const xs = charts.explanation.features.map((_, i) => i);
    lwCharts.bars(why, xs, charts.explanation.importance, { label: "importance", names: charts.explanation.features });
  }

  const form = document.getElementById("alias-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const alias = form.elements.alias.value.trim();
    const body = { version: Number(form.elements.version.value), force: form.elements.force.checked };
    try {
      await lw.api("PUT", `/models/${encodeURIComponent(form.dataset.model)}/aliases/${encodeURIComponent(alias)}`, body);
      sessionStorage.setItem("lw-notice", `${alias} now points at v${body.version}`);
      location.reload();
    } catch (error) { lw.notice(error.message, true); }
  });
})();
