// A run's page: a chart per metric over steps, redrawn when the live part is swapped in.
"use strict";
(() => {
  function draw() {
    const box = document.getElementById("metric-charts");
    const histories = lw.data("histories") || {};
    box.textContent = "";
    for (const [key, byRun] of Object.entries(histories)) {
      const [steps, values] = Object.values(byRun)[0];
      if (steps.length < 2) continue;
      const figure = lw.element("figure", { class: "chart", role: "img", "aria-label": `${key} over steps` });
      figure.appendChild(lw.element("figcaption", {}, key));
      box.appendChild(figure);
      lwCharts.lines(figure, steps, [{ label: key, values }]);
    }
  }
  draw();
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id === "run-live" || event.detail.elt.id === "run-live") draw();
  });
})();
