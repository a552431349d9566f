// The process list: a server-sorted, filtered, paged table; a row opens the process's detail.
import { debounce, fill, h, setText } from "../dom.js";
import * as fmt from "../format.js";
import { pidLink } from "./pids.js";

const PAGE_SIZES = [50, 100, 250, 500];
const FILTER_DELAY_MS = 250;

/** The columns: the row field, the heading, whether the server sorts by it, how the cell reads, numeric or not. */
const COLUMNS = [
  { key: "pid", label: "Pid", sortable: true },
  { key: "name", label: "Name", sortable: true, text: (r) => r.name ?? "" },
  { key: "currentFunction", label: "Current function", sortable: true },
  { key: "status", label: "Status", sortable: false },
  { key: "memory", label: "Memory", sortable: true, numeric: true, text: (r) => fmt.bytes(r.memory) },
  {
    key: "messageQueueLen",
    label: "Msg queue",
    sortable: true,
    numeric: true,
    text: (r) => fmt.count(r.messageQueueLen),
  },
  { key: "reductions", label: "Reductions", sortable: true, numeric: true, text: (r) => fmt.count(r.reductions) },
];

/** What a watch of the list asks for; numeric columns sort largest first when first clicked. */
export function initialProcessQuery() {
  return { sort: "reductions", descending: true, filter: "", offset: 0, limit: PAGE_SIZES[0] };
}

/** `query` is the list's current watch (changed in place); `onQuery()` re-watches after a change. */
export function createProcesses(section, { query, onQuery, openProcess }) {
  const change = (patch) => {
    Object.assign(query, patch);
    onQuery();
    renderControls();
  };

  const filter = h("input", {
    type: "search",
    id: "process-filter",
    placeholder: "pid, name or function",
    autocomplete: "off",
    spellcheck: "false",
    dataset: { testid: "process-filter" },
    value: query.filter,
  });
  const applyFilter = debounce(() => change({ filter: filter.value.trim(), offset: 0 }), FILTER_DELAY_MS);
  filter.addEventListener("input", applyFilter);

  const pageSize = h(
    "select",
    { id: "process-page-size", dataset: { testid: "process-page-size" } },
    PAGE_SIZES.map((n) => h("option", { value: String(n) }, String(n))),
  );
  pageSize.value = String(query.limit);
  pageSize.addEventListener("change", () => change({ limit: Number(pageSize.value), offset: 0 }));

  const total = h("span", { class: "muted", dataset: { testid: "process-total" }, "aria-live": "polite" });
  const sampled = h(
    "span",
    {
      class: "badge warn",
      dataset: { testid: "process-sampled" },
      title: "Too many processes to sort them all: this page is sorted from a sample of them.",
      hidden: true,
    },
    "sampled",
  );
  const previous = h("button", { type: "button", dataset: { testid: "page-previous" } }, "‹ Previous");
  const next = h("button", { type: "button", dataset: { testid: "page-next" } }, "Next ›");
  const range = h("span", { class: "muted", dataset: { testid: "page-range" } });
  previous.addEventListener("click", () => change({ offset: Math.max(0, query.offset - query.limit) }));
  next.addEventListener("click", () => change({ offset: query.offset + query.limit }));

  const headers = new Map();
  const headRow = h(
    "tr",
    {},
    COLUMNS.map((column) => {
      const th = h("th", { scope: "col", class: column.numeric ? "num" : undefined });
      if (column.sortable) {
        const button = h("button", { type: "button", class: "sort", dataset: { testid: `sort-${column.key}` } });
        button.addEventListener("click", () => {
          const same = query.sort === column.key;
          change({ sort: column.key, descending: same ? !query.descending : column.numeric === true, offset: 0 });
        });
        th.append(button);
      } else th.textContent = column.label;
      headers.set(column.key, th);
      return th;
    }),
  );
  const body = h("tbody");
  const empty = h("p", { class: "empty", hidden: true }, "No process matches.");
  const rows = new Map();

  fill(
    section,
    h("div", { class: "section-head" }, h("h2", {}, "Processes"), total, sampled),
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "process-filter" }, "Filter"),
      filter,
      h("span", { class: "spacer" }),
      h("label", { for: "process-page-size" }, "Per page"),
      pageSize,
      previous,
      range,
      next,
    ),
    h(
      "div",
      { class: "table-wrap" },
      h("table", { class: "grid processes", dataset: { testid: "process-table" } }, h("thead", {}, headRow), body),
    ),
    empty,
  );

  let lastPage = { total: 0, offset: 0, rows: [], sampled: false };

  function renderControls() {
    for (const column of COLUMNS) {
      const th = headers.get(column.key);
      const active = query.sort === column.key;
      if (active) th.setAttribute("aria-sort", query.descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
      const button = th.querySelector("button");
      if (button) setText(button, `${column.label}${active ? (query.descending ? " ▾" : " ▴") : ""}`);
    }
    previous.disabled = query.offset === 0;
    next.disabled = query.offset + query.limit >= lastPage.total;
    const first = lastPage.rows.length === 0 ? 0 : query.offset + 1;
    setText(
      range,
      `${fmt.count(first)}–${fmt.count(query.offset + lastPage.rows.length)} of ${fmt.count(lastPage.total)}`,
    );
  }

  /** A row element per pid, reused across pushes, so focus and hover survive the live updates. */
  function rowFor(row) {
    let tr = rows.get(row.pid);
    if (tr === undefined) {
      tr = h("tr", { dataset: { testid: "process-row", pid: row.pid } });
      tr.addEventListener("click", (event) => {
        if (!event.target.closest("a")) openProcess(tr.dataset.pid);
      });
      for (const column of COLUMNS) {
        const td = h("td", { class: column.numeric ? "num" : undefined, dataset: { column: column.key } });
        if (column.key === "pid") td.append(pidLink(row.pid));
        tr.append(td);
      }
      rows.set(row.pid, tr);
    }
    for (const [i, column] of COLUMNS.entries()) {
      if (column.key === "pid") continue;
      setText(tr.children[i], column.text ? column.text(row) : row[column.key]);
    }
    tr.classList.toggle("long-queue", row.messageQueueLen > 100);
    return tr;
  }

  renderControls();

  return {
    update({ page }) {
      lastPage = page;
      const shown = page.rows.map(rowFor);
      const keep = new Set(shown);
      for (const [pid, tr] of rows) {
        if (!keep.has(tr)) {
          tr.remove();
          rows.delete(pid);
        }
      }
      shown.forEach((tr, i) => {
        if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null);
      });
      empty.hidden = page.rows.length > 0;
      setText(total, `${fmt.count(page.total)} ${query.filter === "" ? "processes" : "matching"}`);
      sampled.hidden = !page.sampled;
      renderControls();
    },
    reset() {
      body.replaceChildren();
      rows.clear();
      lastPage = { total: 0, offset: 0, rows: [], sampled: false };
      renderControls();
    },
  };
}
