// The distribution: the connected nodes with their traffic and when each was last heard; a node opens it.
import { fill, h, setText } from "../dom.js";
import * as fmt from "../format.js";

/** `switchNode(name)` shows that node; `kindOf(name)` says "otter" or "beam" (or undefined when unknown). */
export function createDistribution(section, { switchNode, kindOf }) {
  const body = h("tbody");
  const empty = h("p", { class: "empty", hidden: true }, "No node is connected.");
  fill(
    section,
    h("div", { class: "section-head" }, h("h2", {}, "Distribution"), h("span", { class: "muted" }, "connected nodes")),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "grid", dataset: { testid: "connection-table" } },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Node"),
            h("th", { scope: "col" }, "Runs"),
            h("th", { scope: "col" }, "Visibility"),
            h("th", { scope: "col", class: "num" }, "Bytes in"),
            h("th", { scope: "col", class: "num" }, "Bytes out"),
            h("th", { scope: "col", class: "num" }, "Messages in"),
            h("th", { scope: "col", class: "num" }, "Messages out"),
            h("th", { scope: "col", class: "num" }, "Last heard"),
          ),
        ),
        body,
      ),
    ),
    empty,
  );
  /** A row per node, reused across pushes (its button keeps focus); the cells after the first two are numbers. */
  const rows = new Map();
  function rowFor(c) {
    let tr = rows.get(c.node);
    if (tr === undefined) {
      const kind = kindOf(c.node);
      const open = h("button", { type: "button", class: "link", title: `Observe ${c.node}` }, c.node);
      open.addEventListener("click", () => switchNode(c.node));
      tr = h(
        "tr",
        { dataset: { testid: "connection-row", node: c.node } },
        h("td", {}, kind === undefined ? c.node : open),
        h("td", {}, kind === "beam" ? "BEAM" : kind === "otter" ? "Otter" : "—"),
        ["kind", "bytesIn", "bytesOut", "messagesIn", "messagesOut", "lastHeard"].map((column) =>
          h("td", { class: column === "kind" ? undefined : "num", dataset: { column } }),
        ),
      );
      rows.set(c.node, tr);
    }
    const cells = tr.children;
    setText(cells[2], c.kind);
    setText(cells[3], fmt.bytes(c.bytesIn));
    setText(cells[4], fmt.bytes(c.bytesOut));
    setText(cells[5], fmt.count(c.messagesIn));
    setText(cells[6], fmt.count(c.messagesOut));
    setText(cells[7], c.lastHeardMs === null ? "—" : `${fmt.millis(c.lastHeardMs)} ago`);
    return tr;
  }

  return {
    update({ connections }) {
      empty.hidden = connections.length > 0;
      const shown = connections.map(rowFor);
      for (const [node, tr] of rows) {
        if (!shown.includes(tr)) {
          tr.remove();
          rows.delete(node);
        }
      }
      shown.forEach((tr, i) => {
        if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null);
      });
    },
    /** Another node, or a new list of nodes (the kinds shown come from it). */
    reset() {
      rows.clear();
      body.replaceChildren();
    },
  };
}
