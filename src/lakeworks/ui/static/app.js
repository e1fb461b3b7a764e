// lakeworks UI: what every page shares. Actions call the REST API (/api/v1), the same
// door every client uses; pages read their data from <script type="application/json">.
"use strict";
const lw = (() => {
  const ws = document.body.dataset.ws;

  function notice(text, isError) {
    const box = document.getElementById("notice");
    box.textContent = text;
    box.className = isError ? "error" : "";
    box.hidden = !text;
  }

  async function api(method, path, body, options = {}) {
    const init = { method, headers: {}, signal: options.signal };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const url = path.startsWith("/api/") ? path : `/api/v1/workspaces/${ws}${path}`;
    const response = await fetch(url, init);
    if (!response.ok) {
      let said = `${response.status} ${response.statusText}`;
      try {
        const error = await response.json();
        said = error.message + (error.hint ? ` (${error.hint})` : "");
      } catch (_) { /* not JSON: keep the status line */ }
      const failure = new Error(said);
      failure.status = response.status;
      throw failure;
    }
    if (options.raw) return response;
    return response.status === 204 ? null : response.json();
  }

  function data(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function element(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function show(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  // <button data-post="/pipelines/x/pause" data-body='{"wait":false}'>: POST, then reload
  async function post(button) {
    button.disabled = true;
    try {
      const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
      const answer = await api("POST", button.dataset.post, body);
      const next = button.dataset.then;
      if (next && answer && answer.id !== undefined) location.href = next.replace("{id}", answer.id);
      else location.reload();
    } catch (error) {
      notice(error.message, true);
      button.disabled = false;
    }
  }

  // <input data-filter="tables">: hide rows of #tables whose text does not match
  function filter(input) {
    const rows = document.querySelectorAll(`#${input.dataset.filter} tbody tr`);
    const wanted = input.value.trim().toLowerCase();
    for (const row of rows) row.hidden = wanted && !row.textContent.toLowerCase().includes(wanted);
  }

  function sortable(table) {
    table.querySelectorAll("thead th").forEach((th, column) => {
      const button = element("button", { class: "sort", type: "button" }, th.textContent);
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", () => sortBy(table, th, column));
    });
  }

  function sortBy(table, th, column) {
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("thead th").forEach((h) => h.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const key = (row) => row.cells[column].dataset.value ?? row.cells[column].textContent;
    rows.sort((a, b) => compare(key(a), key(b)) * (ascending ? 1 : -1));
    body.append(...rows);
  }

  function compare(a, b) {
    const x = Number(a), y = Number(b);
    if (a !== "" && b !== "" && !Number.isNaN(x) && !Number.isNaN(y)) return x - y;
    return String(a).localeCompare(String(b));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const left = sessionStorage.getItem("lw-notice");  // said by the page before a reload
    if (left) { notice(left); sessionStorage.removeItem("lw-notice"); }
    const switcher = document.getElementById("workspace-switcher");
    if (switcher) {
      switcher.addEventListener("change", () => {
        const section = location.pathname.split("/")[3];
        location.href = `/w/${switcher.value}${section ? "/" + section : ""}`;
      });
    }
    document.addEventListener("click", (event) => {  // also for buttons in fragments loaded later
      const button = event.target.closest("[data-post]");
      if (button) post(button);
    });
    document.body.addEventListener("htmx:afterSettle", () => {
      document.body.dataset.settled = String(performance.now());  // read by benchmarks/ui.py
    });
    document.body.addEventListener("htmx:afterSwap", (event) => {
      event.detail.target.querySelectorAll("table[data-sortable]").forEach(sortable);
    });
    document.querySelectorAll("[data-filter]").forEach((i) => {
      i.addEventListener("input", () => filter(i));
      if (i.value) filter(i);
    });
    document.querySelectorAll("table[data-sortable]").forEach(sortable);
  });

  return { ws, api, data, element, notice, show, compare };
})();
