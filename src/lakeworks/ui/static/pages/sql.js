// The SQL page: run (and cancel) a query through POST /sql, a paged sortable grid, downloads,
// a chart, the query history (kept in this browser), and table/column suggestions.
"use strict";
(() => {
  const PAGE = 50, LIMIT = 10000, HISTORY = 50;
  const editor = document.getElementById("sql-editor");
  const status = document.getElementById("sql-status");
  const errorBox = document.getElementById("sql-error");
  const runButton = document.getElementById("sql-run");
  const cancelButton = document.getElementById("sql-cancel");
  const historyKey = `lw-sql-history:${lw.ws}`;
  const state = { result: null, order: [], page: 0, sortBy: -1, ascending: true, running: null };

  function say(text) { status.textContent = text; }

  function fail(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  async function run() {
    const query = editor.value.trim();
    if (!query || state.running) return;
    errorBox.hidden = true;
    state.running = new AbortController();
    runButton.disabled = true;
    cancelButton.disabled = false;
    say("Running…");
    const started = performance.now();
    try {
      const answer = await lw.api("POST", "/sql", { query, limit: LIMIT }, { signal: state.running.signal });
      const took = ((performance.now() - started) / 1000).toFixed(2);
      remember(query, true);
      if (Array.isArray(answer.rows)) { show(answer); say(`${answer.row_count}${answer.truncated ? "+" : ""} rows in ${took} s`); }
      else say(`wrote ${answer.rows} rows to ${answer.table} (version ${answer.version}) in ${took} s`);
    } catch (error) {
      if (error.name === "AbortError") say("Cancelled");
      else { remember(query, false); fail(error.message); say("Failed"); }
    } finally {
      state.running = null;
      runButton.disabled = false;
      cancelButton.disabled = true;
    }
  }

  // grid ------------------------------------------------------------------------------
  function show(result) {
    state.result = result;
    state.order = result.rows.map((_, i) => i);
    state.page = 0;
    state.sortBy = -1;
    document.getElementById("sql-results").hidden = false;
    document.getElementById("sql-count").textContent = `${result.row_count}${result.truncated ? " (first " + LIMIT + ")" : ""}`;
    const head = document.querySelector("#sql-grid thead");
    head.replaceChildren();
    const row = lw.element("tr");
    result.columns.forEach((name, i) => {
      const th = lw.element("th", { scope: "col", title: result.types[i] });
      const button = lw.element("button", { class: "sort", type: "button" }, name);
      button.addEventListener("click", () => sort(i, th));
      th.append(button);
      row.append(th);
    });
    head.append(row);
    drawPage();
    chartChoices();
  }

  function sort(column, th) {
    state.ascending = state.sortBy === column ? !state.ascending : true;
    state.sortBy = column;
    document.querySelectorAll("#sql-grid th").forEach((h) => h.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", state.ascending ? "ascending" : "descending");
    const rows = state.result.rows;
    const value = (i) => rows[i][column];
    state.order.sort((a, b) => {
      const x = value(a), y = value(b);
      if (x === null || y === null) return (x === null) - (y === null);
      return lw.compare(x, y) * (state.ascending ? 1 : -1);
    });
    state.page = 0;
    drawPage();
  }

  function drawPage() {
    const body = document.querySelector("#sql-grid tbody");
    const pages = Math.max(1, Math.ceil(state.order.length / PAGE));
    const rows = state.order.slice(state.page * PAGE, (state.page + 1) * PAGE).map((i) => {
      const tr = lw.element("tr");
      for (const value of state.result.rows[i]) tr.append(lw.element("td", {}, lw.show(value)));
      return tr;
    });
    body.replaceChildren(...rows);
    document.getElementById("page-at").textContent = `page ${state.page + 1} of ${pages}`;
    document.getElementById("page-prev").disabled = state.page === 0;
    document.getElementById("page-next").disabled = state.page + 1 >= pages;
  }

  // chart -----------------------------------------------------------------------------
  const numeric = (type) => /^(u?int|float|double|decimal|halffloat)/.test(type);
  const temporal = (type) => /^(timestamp|date)/.test(type);

  function chartChoices() {
    const { columns, types } = state.result;
    const xs = document.getElementById("chart-x"), ys = document.getElementById("chart-y");
    xs.replaceChildren(...columns.map((c, i) => lw.element("option", { value: i }, c)));
    const measures = columns.map((c, i) => [c, i]).filter(([, i]) => numeric(types[i]));
    ys.replaceChildren(...measures.map(([c, i]) => lw.element("option", { value: i }, c)));
    const y = measures.find(([, i]) => i !== 0);
    if (y) ys.value = y[1];
    drawChart();
  }

  function drawChart() {
    const node = document.getElementById("sql-chart");
    node.replaceChildren();
    const { rows, types } = state.result;
    const x = Number(document.getElementById("chart-x").value);
    const y = Number(document.getElementById("chart-y").value);
    if (!rows.length || Number.isNaN(y) || document.getElementById("chart-y").options.length === 0) return;
    const values = rows.map((r) => r[y]);
    if (numeric(types[x]) || temporal(types[x])) {
      const pairs = rows.map((r) => [temporal(types[x]) ? Date.parse(r[x]) / 1000 : r[x], r[y]])
        .filter(([a]) => a !== null).sort((a, b) => a[0] - b[0]);
      lwCharts.lines(node, pairs.map((p) => p[0]), [{ label: state.result.columns[y], values: pairs.map((p) => p[1]) }],
        { time: temporal(types[x]), points: pairs.length < 60 });
    } else {
      const names = rows.map((r) => lw.show(r[x]));
      lwCharts.bars(node, names.map((_, i) => i), values, { label: state.result.columns[y], names });
    }
  }

  // downloads -------------------------------------------------------------------------
  async function download(format) {
    const query = editor.value.trim();
    if (!query) return;
    errorBox.hidden = true;
    say(`Preparing ${format}…`);
    try {
      const response = await lw.api("POST", "/sql/export", { query, format }, { raw: true });
      const link = lw.element("a", { href: URL.createObjectURL(await response.blob()), download: `result.${format}` });
      document.body.append(link);
      link.click();
      link.remove();
      say(`Downloaded result.${format}`);
    } catch (error) {
      fail(error.message);
      say("Failed");
    }
  }

  // history ---------------------------------------------------------------------------
  function remember(query, ok) {
    const past = JSON.parse(localStorage.getItem(historyKey) || "[]").filter((h) => h.query !== query);
    past.unshift({ query, ok, at: new Date().toISOString() });
    localStorage.setItem(historyKey, JSON.stringify(past.slice(0, HISTORY)));
    drawHistory();
  }

  function drawHistory() {
    const past = JSON.parse(localStorage.getItem(historyKey) || "[]");
    const items = past.map((h) => {
      const item = lw.element("li");
      const button = lw.element("button", { type: "button", class: "secondary", title: h.at }, h.query.slice(0, 80));
      button.addEventListener("click", () => { editor.value = h.query; editor.focus(); });
      item.append(button, lw.element("span", { class: h.ok ? "state ok" : "state failed" }, h.ok ? " ok" : " failed"));
      return item;
    });
    document.getElementById("sql-history").replaceChildren(...(items.length ? items : [lw.element("li", { class: "muted" }, "No queries yet.")]));
  }

  // suggestions -----------------------------------------------------------------------
  const tables = lw.data("sql-tables");
  const columns = new Map();  // table -> a promise of its column names, asked on first mention
  const list = document.getElementById("sql-suggest");
  let chosen = 0;

  function columnsOf(table) {
    if (!columns.has(table)) {
      const asked = lw.api("GET", `/tables/${table}`).then((t) => t.columns.map((c) => c.name), () => []);
      columns.set(table, asked);  // the promise: callers during the fetch wait for it too
    }
    return columns.get(table);
  }

  let asked = 0;  // answers to earlier keystrokes that arrive late are dropped

  async function suggest() {
    const mine = ++asked;
    const before = editor.value.slice(0, editor.selectionStart);
    const word = (before.match(/[\w.]*$/) || [""])[0];
    if (!word) { list.hidden = true; return; }
    const mentioned = tables.filter((t) => new RegExp(`\\b${t}\\b`).test(editor.value));
    let options;
    if (word.includes(".")) {
      const [table, start] = word.split(".");
      const known = tables.includes(table) ? await columnsOf(table) : [];  // not aliases
      options = known.filter((c) => c.startsWith(start)).map((c) => `${table}.${c}`);
    } else {
      const known = (await Promise.all(mentioned.map(columnsOf))).flat();
      options = [...new Set([...tables, ...known])].filter((n) => n.startsWith(word) && n !== word);
    }
    if (mine !== asked) return;
    options = options.slice(0, 20);
    list.replaceChildren(...options.map((o, i) => {
      const item = lw.element("li", { role: "option", id: `suggest-${i}`, "aria-selected": String(i === 0) }, o);
      item.addEventListener("mousedown", (e) => { e.preventDefault(); take(o, word); });
      return item;
    }));
    chosen = 0;
    list.hidden = options.length === 0;
    list.dataset.word = word;
  }

  function take(option, word) {
    const at = editor.selectionStart;
    editor.setRangeText(option, at - word.length, at, "end");
    list.hidden = true;
  }

  function move(step) {
    const items = list.querySelectorAll("li");
    chosen = (chosen + step + items.length) % items.length;
    items.forEach((item, i) => item.setAttribute("aria-selected", String(i === chosen)));
  }

  editor.addEventListener("input", suggest);
  editor.addEventListener("blur", () => { list.hidden = true; });
  editor.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); run(); return; }
    if (list.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") { event.preventDefault(); move(event.key === "ArrowDown" ? 1 : -1); }
    else if (event.key === "Tab" || event.key === "Enter") {
      event.preventDefault();
      take(list.querySelectorAll("li")[chosen].textContent, list.dataset.word);
    } else if (event.key === "Escape") list.hidden = true;
  });

  document.getElementById("sql-form").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  cancelButton.addEventListener("click", () => state.running && state.running.abort());
  document.getElementById("sql-csv").addEventListener("click", () => download("csv"));
  document.getElementById("sql-parquet").addEventListener("click", () => download("parquet"));
  document.getElementById("page-prev").addEventListener("click", () => { state.page -= 1; drawPage(); });
  document.getElementById("page-next").addEventListener("click", () => { state.page += 1; drawPage(); });
  document.getElementById("chart-x").addEventListener("change", drawChart);
  document.getElementById("chart-y").addEventListener("change", drawChart);
  drawHistory();
})();
