// A feature view's page: the online lookup and the training-set preview, through the REST API.
"use strict";
(() => {
  const view = lw.data("view-data");
  const typed = (text) => (text.trim() !== "" && !Number.isNaN(Number(text)) ? Number(text) : text);

  const lookup = document.getElementById("lookup-form");
  lookup.addEventListener("submit", async (event) => {
    event.preventDefault();
    const row = {};
    for (const input of lookup.querySelectorAll("input")) row[input.name] = typed(input.value);
    try {
      const answer = await lw.api("POST", "/features/online", { features: [lookup.dataset.view], entity_rows: [row] });
      const found = answer.results[0];
      const body = document.querySelector("#lookup-result tbody");
      body.replaceChildren(...Object.keys(found.values).map((name) => {
        const tr = lw.element("tr");
        tr.append(lw.element("td", {}, name), lw.element("td", {}, lw.show(found.values[name])),
          lw.element("td", { class: `state ${found.status[name] === "present" ? "ok" : "warned"}` }, found.status[name]));
        return tr;
      }));
      document.getElementById("lookup-result").hidden = false;
    } catch (error) { lw.notice(error.message, true); }
  });

  const training = document.getElementById("training-form");
  training.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("training-status");
    let rows;
    try { rows = JSON.parse(document.getElementById("training-rows").value); }
    catch (error) { lw.notice(`the entity rows are not JSON: ${error.message}`, true); return; }
    try {
      const answer = await lw.api("POST", "/features/training-set", { features: [training.dataset.view], entity_rows: rows, limit: 50 });
      const columns = answer.rows.length ? Object.keys(answer.rows[0]) : [];
      const head = lw.element("tr");
      for (const c of columns) head.append(lw.element("th", { scope: "col" }, c));
      document.querySelector("#training-result thead").replaceChildren(head);
      document.querySelector("#training-result tbody").replaceChildren(...answer.rows.map((r) => {
        const tr = lw.element("tr");
        for (const c of columns) tr.append(lw.element("td", {}, lw.show(r[c])));
        return tr;
      }));
      document.getElementById("training-result").hidden = false;
      const covered = answer.coverage.map((c) => `${c.view}: ${c.rows_with_value ?? c.present ?? ""}`).join(" · ");
      status.textContent = `${answer.num_rows} rows, point in time "${answer.point_in_time}"${answer.warnings.length ? " · " + answer.warnings.join("; ") : ""}`;
      status.title = covered;
    } catch (error) { lw.notice(error.message, true); }
  });
})();
