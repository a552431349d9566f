// The observer page's wiring: the socket, the header and node switcher, the tabs and routes, what is watched.
import { fill, h, setText } from "./dom.js";
import { ObserverSocket } from "./socket.js";
import { createCode } from "./views/code.js";
import { createDistribution } from "./views/distribution.js";
import { createOverview } from "./views/overview.js";
import { processHash } from "./views/pids.js";
import { createProcess } from "./views/process.js";
import { createProcesses, initialProcessQuery } from "./views/processes.js";
import { createApplications } from "./views/tree.js";

const TABS = ["overview", "processes", "applications", "distribution", "code"];

const state = {
  /** The node shown, and the ones the server offers (`hello.nodes`). */
  node: null,
  nodes: [],
  /** What the hash says: a tab, or `process` with a pid. */
  route: { view: "overview", pid: null },
  processQuery: initialProcessQuery(),
  /** The number of the last watch sent: pushes carry it back, so one that crossed a newer watch is dropped. */
  watchId: 0,
};

const nodeName = document.querySelector("[data-testid=node-name]");
const nodeSwitch = document.querySelector("[data-testid=node-switch]");
const connection = document.querySelector("[data-testid=connection-state]");
const errorBanner = document.querySelector("[data-testid=view-error]");
const tabs = [...document.querySelectorAll("[role=tab]")];
const section = (view) => document.getElementById(`view-${view}`);

const socket = new ObserverSocket({ onMessage: receive, onState: showConnection });

const views = {
  overview: createOverview(section("overview")),
  processes: createProcesses(section("processes"), {
    query: state.processQuery,
    onQuery: watch,
    openProcess: (pid) => {
      location.hash = processHash(pid);
    },
  }),
  process: createProcess(section("process"), { act: (action) => socket.act(state.node, action) }),
  applications: createApplications(section("applications")),
  distribution: createDistribution(section("distribution"), {
    switchNode: (name) => {
      switchNode(name);
      location.hash = "#overview";
    },
    kindOf: (name) => state.nodes.find((n) => n.name === name)?.kind,
  }),
  code: createCode(section("code")),
};

/** `#processes`, `#process/<0.42.0>` (the pid URI-encoded), …; anything else is the overview. */
function parseHash(hash) {
  const [view, argument] = hash.replace(/^#/, "").split("/", 2);
  if (view === "process" && argument) return { view, pid: decodeURIComponent(argument) };
  return { view: TABS.includes(view) ? view : "overview", pid: null };
}

function route() {
  state.route = parseHash(location.hash);
  const { view, pid } = state.route;
  if (view === "process") views.process.open(pid);
  for (const name of [...TABS, "process"]) section(name).hidden = name !== view;
  const tab = view === "process" ? "processes" : view;
  for (const button of tabs) {
    const selected = button.dataset.view === tab;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
  }
  hideError();
  watch();
}

/** Tells the server what to push: the routed view of the shown node. */
function watch() {
  if (state.node === null) return;
  const { view, pid } = state.route;
  const watched =
    view === "processes"
      ? { kind: "processes", ...state.processQuery }
      : view === "process"
        ? { kind: "process", pid }
        : { kind: view };
  state.watchId++;
  socket.send({ type: "watch", node: state.node, view: watched, id: state.watchId });
}

function receive(message) {
  switch (message.type) {
    case "hello":
      return hello(message);
    case "view": {
      const { view, pid } = state.route;
      if (message.watch !== state.watchId || message.node !== state.node) return; // pushed before the last watch
      if (message.data.kind !== view) return;
      if (view === "process" && message.data.detail.pid !== pid) return;
      if (errorBanner.dataset.sticky !== "true") hideError();
      views[view].update(message.data);
      return;
    }
    case "error":
      if (message.node === state.node) showError(message.error);
      return;
    default:
      console.warn("observer: an unknown message", message);
  }
}

function hello({ node, nodes }) {
  const known = state.nodes.map((n) => `${n.name} ${n.kind}`).join();
  state.nodes = nodes;
  if (nodes.map((n) => `${n.name} ${n.kind}`).join() !== known) views.distribution.reset();
  fill(
    nodeSwitch,
    nodes.map((n, i) =>
      h("option", { value: n.name }, `${n.name}${i === 0 ? " (this node)" : n.kind === "beam" ? " (BEAM)" : ""}`),
    ),
  );
  nodeSwitch.disabled = nodes.length < 2;
  const gone = state.node !== null && !nodes.some((n) => n.name === state.node) ? state.node : null;
  if (gone !== null) {
    switchNode(node);
    showError(`${gone} is no longer connected: showing ${node}`, { sticky: true });
    return;
  }
  showNode(state.node ?? node);
  watch();
}

function switchNode(name) {
  if (name === state.node) return;
  showNode(name);
  state.processQuery.offset = 0;
  if (state.route.view !== "process") return watch();
  // The pid shown belongs to the other node: show the list instead, in place of the detail in the history.
  history.replaceState(null, "", "#processes");
  route();
}

/** Shows `name` in the header; another node than before starts every view afresh. */
function showNode(name) {
  if (name !== state.node) {
    for (const view of Object.values(views)) view.reset?.();
    state.node = name;
  }
  nodeSwitch.value = name;
  const kind = state.nodes.find((n) => n.name === name)?.kind;
  setText(nodeName, name);
  nodeName.dataset.kind = kind ?? "";
  document.title = `${name} · Otter observer`;
}

function showConnection(connectionState, retryMs) {
  connection.dataset.state = connectionState;
  const text =
    connectionState === "open"
      ? "live"
      : connectionState === "connecting"
        ? "connecting…"
        : `disconnected · retrying in ${Math.max(1, Math.round(retryMs / 1000))} s`;
  setText(connection.querySelector(".connection-text"), text);
}

/** Shows `text` above the view until the next push (or, sticky, until the page shows another view). */
function showError(text, { sticky = false } = {}) {
  setText(errorBanner, text);
  errorBanner.dataset.sticky = String(sticky);
  errorBanner.hidden = false;
}

function hideError() {
  errorBanner.hidden = true;
  errorBanner.dataset.sticky = "false";
}

nodeSwitch.addEventListener("change", () => switchNode(nodeSwitch.value));
for (const button of tabs) {
  button.addEventListener("click", () => {
    location.hash = `#${button.dataset.view}`;
  });
}
// The tabs as one stop in the tab order, arrows moving between them (the WAI-ARIA tabs pattern).
document.querySelector("[role=tablist]").addEventListener("keydown", (event) => {
  const current = tabs.indexOf(document.activeElement);
  if (current < 0) return;
  const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: tabs.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  const next = tabs[(moves[event.key] + tabs.length) % tabs.length];
  next.focus();
  next.click();
});
window.addEventListener("hashchange", route);

route();
socket.connect();
