// The applications: each one's supervision tree drawn as nested boxes with connectors, restarts on every child.
import { fill, h } from "../dom.js";
import { pidLink } from "./pids.js";

function restartBadge(restarts) {
  return h(
    "span",
    {
      class: `restarts${restarts > 0 ? " hot" : ""}`,
      title: `${restarts} restart${restarts === 1 ? "" : "s"} by its supervisor`,
      "aria-label": `${restarts} restart${restarts === 1 ? "" : "s"}`,
      dataset: { testid: "restart-count" },
    },
    `↻ ${restarts}`,
  );
}

function treeNode(node, isRoot) {
  const box = h(
    "div",
    {
      class: `tree-box ${node.kind}${node.pid === null ? " down" : ""}`,
      dataset: { testid: "tree-node", id: node.id, kind: node.kind, restarts: String(node.restarts) },
    },
    h("span", { class: "kind", title: node.kind }, node.kind === "supervisor" ? "sup" : "worker"),
    h("span", { class: "tree-id" }, node.id),
    node.name !== null && node.name !== node.id ? h("span", { class: "tree-name" }, node.name) : null,
    node.pid === null ? h("span", { class: "muted" }, "not running") : pidLink(node.pid),
    // A BEAM node's supervisors do not count restarts per child: nothing to show there (null).
    isRoot || typeof node.restarts !== "number" ? null : restartBadge(node.restarts),
  );
  const children =
    node.children.length === 0
      ? null
      : h(
          "ul",
          {},
          node.children.map((child) => h("li", {}, treeNode(child, false))),
        );
  return [box, children];
}

function application(app) {
  return h(
    "article",
    { class: "application", dataset: { testid: "application", name: app.name } },
    h(
      "header",
      {},
      h("h3", {}, app.name),
      h("span", { class: "badge" }, app.vsn),
      h("span", { class: "muted" }, app.description),
    ),
    app.tree === null
      ? h("p", { class: "muted" }, "A library application: no processes of its own.")
      : h("ul", { class: "tree" }, h("li", {}, treeNode(app.tree, true))),
  );
}

export function createApplications(section) {
  const list = h("div", { class: "applications" });
  const legend = h(
    "p",
    { class: "legend muted" },
    h("span", { class: "tree-box supervisor mini" }, h("span", { class: "kind" }, "sup")),
    " supervisor ",
    h("span", { class: "tree-box worker mini" }, h("span", { class: "kind" }, "worker")),
    " worker ",
    h("span", { class: "restarts hot" }, "↻ n"),
    " restarts since its supervisor started",
  );
  fill(section, h("div", { class: "section-head" }, h("h2", {}, "Applications"), legend), list);
  let shown = "";
  return {
    update({ applications }) {
      // Redraw only on a change, so the trees do not flicker (nor lose focus) at every push.
      const text = JSON.stringify(applications);
      if (text === shown) return;
      shown = text;
      if (applications.length === 0) fill(list, h("p", { class: "empty" }, "No application runs on this node."));
      else fill(list, applications.map(application));
    },
    reset() {
      shown = "";
      list.replaceChildren();
    },
  };
}
