// The code: loaded modules with where they came from and their current and old versions.
import { debounce, fill, h, setText } from "../dom.js";

export function createCode(section) {
  const filter = h("input", {
    type: "search",
    id: "module-filter",
    placeholder: "module name",
    autocomplete: "off",
    dataset: { testid: "module-filter" },
  });
  const total = h("span", { class: "muted", dataset: { testid: "module-total" } });
  const body = h("tbody");
  const empty = h("p", { class: "empty", hidden: true }, "No module is loaded.");
  let modules = [];
  let shown = "";

  function render() {
    const needle = filter.value.trim().toLowerCase();
    const matching = modules.filter((m) => m.name.toLowerCase().includes(needle));
    const withOld = modules.filter((m) => m.old !== null).length;
    setText(total, `${modules.length} loaded${withOld > 0 ? ` · ${withOld} with old code` : ""}`);
    empty.hidden = matching.length > 0;
    setText(empty, modules.length === 0 ? "No module is loaded." : "No module matches.");
    fill(
      body,
      matching.map((m) =>
        h(
          "tr",
          { dataset: { testid: "module-row", module: m.name }, class: m.old !== null ? "has-old" : undefined },
          h("td", {}, m.name),
          h("td", { class: "path" }, m.path ?? h("span", { class: "muted" }, "(given as source)")),
          h("td", {}, m.current ?? h("span", { class: "muted" }, "—")),
          h("td", {}, m.old ?? h("span", { class: "muted" }, "—")),
        ),
      ),
    );
  }
  filter.addEventListener("input", debounce(render, 150));

  fill(
    section,
    h("div", { class: "section-head" }, h("h2", {}, "Code"), total),
    h("div", { class: "toolbar" }, h("label", { for: "module-filter" }, "Filter"), filter),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "grid", dataset: { testid: "module-table" } },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Module"),
            h("th", { scope: "col" }, "Loaded from"),
            h("th", { scope: "col" }, "Current version"),
            h("th", { scope: "col" }, "Old version"),
          ),
        ),
        body,
      ),
    ),
    empty,
  );

  return {
    update(data) {
      const text = JSON.stringify(data.modules);
      if (text === shown) return;
      shown = text;
      modules = [...data.modules].sort((a, b) => a.name.localeCompare(b.name));
      render();
    },
    reset() {
      shown = "";
      modules = [];
      render();
    },
  };
}
