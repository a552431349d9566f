// The observer in a real browser (Debian's Chromium through playwright-core) against a real node and the real
// observer server: every tab loads, live values move, a process is found, inspected, sent to and killed, its
// supervisor's restart shows in the tree, and the page follows the node switcher to another Otter node or a BEAM
// node. Screenshots of each view go to test-artifacts/ (not committed).
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { describe, type TestContext, test } from "node:test";
import type { Page } from "playwright-core";
import { atom, format, type Pid } from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { type Observer, startObserver } from "../../src/observe/index.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { type BrowserPage, byTestId, openBrowser, textOf, WAIT_MS, waitForText } from "../support/browser.ts";
import { startNodeBesideErl, uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { waitFor } from "../support/runtime.ts";
import { COUNTER, startShop } from "./watched-app.ts";

/** What the in-page checks touch of the DOM (this project compiles without the DOM library; the code runs there). */
interface PageElement {
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
  querySelector(selector: string): PageElement | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
};

const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url);
/** Short, so live values move several times within a test. */
const INTERVAL_MS = 200;

interface Observed {
  readonly node: OtterNode;
  readonly observer: Observer;
  readonly page: Page;
  readonly browser: BrowserPage;
}

/** A node running the shop, its observer, and a browser on the observer's page; all stopped after the test. */
async function observe(t: TestContext, node?: OtterNode): Promise<Observed> {
  const cleanups: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  if (node === undefined) {
    const started = await startNode({
      name: uniqueNodeName("observed"),
      cookie: uniqueCookie(),
      epmdPort: await freePort(),
      listen: { host: "127.0.0.1" },
    });
    cleanups.push(() => started.stop());
    node = started;
  }
  await startShop(node.runtime);
  const observer = await startObserver(node, { port: 0, intervalMs: INTERVAL_MS });
  cleanups.push(() => observer.close());
  const browser = await openBrowser({ origin: new URL(observer.url).origin });
  cleanups.push(() => browser.close());
  await browser.page.goto(observer.url);
  await waitForText(browser.page, "connection-state", /^live$/, "the page connects to the observer");
  await waitForText(
    browser.page,
    "node-name",
    new RegExp(`^${escapeRegExp(node.name.name)}$`),
    "the header names the node",
  );
  return { node, observer, page: browser.page, browser };
}

/** `pid` as the observer of `node` shows it: `<0.42.0>` for its own. */
function pidText(node: OtterNode, pid: Pid | undefined): string {
  assert.ok(pid !== undefined, "the process runs");
  return format(pid, { localNode: node.name, localCreation: node.creation });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: new URL(`observer-${name}.png`, ARTIFACTS).pathname, fullPage: true });
}

async function openTab(page: Page, tab: string): Promise<void> {
  await page.click(byTestId(`tab-${tab}`));
  await page.waitForSelector(`${byTestId(`view-${tab}`)}:not([hidden])`, { timeout: WAIT_MS });
}

/** Waits until the process table shows exactly one row, named `name`; returns its pid. */
async function onlyRowNamed(page: Page, name: string, notPid?: string): Promise<string> {
  const handle = await page.waitForFunction(
    ({ name, notPid }) => {
      const rows = [...document.querySelectorAll('[data-testid="process-row"]')];
      if (rows.length !== 1) return false;
      const [row] = rows;
      const cell = row.querySelector('[data-column="name"]')?.textContent;
      return cell === name && row.dataset.pid !== notPid ? row.dataset.pid : false;
    },
    { name, notPid },
    { timeout: WAIT_MS },
  );
  return (await handle.jsonValue()) as string;
}

/** Pushes so far: the chart's sample count. */
async function samples(page: Page, chart: string): Promise<number> {
  return Number(await page.getAttribute(byTestId(chart), "data-samples", { timeout: WAIT_MS }));
}

describe("the observer in a browser", () => {
  test("every view loads, tabs work from the keyboard, and nothing outside the node is fetched", async (t) => {
    const { page, browser } = await observe(t);

    await waitForText(page, "stat-processes", /^[1-9][\d,]*$/, "the overview counts processes");
    await waitForText(page, "stat-memory", /\d (B|KiB|MiB|GiB)$/, "memory is shown with its unit");
    await waitForText(page, "stat-uptime", /\d/, "the uptime is shown");
    await page.waitForSelector(`${byTestId("chart-processes")} canvas`, { timeout: WAIT_MS });
    await screenshot(page, "overview");

    await openTab(page, "processes");
    await page.waitForSelector(byTestId("process-row"), { timeout: WAIT_MS });
    await waitForText(page, "process-total", /^[1-9][\d,]* processes$/, "the process list says how many there are");
    await screenshot(page, "processes");

    await openTab(page, "applications");
    await page.waitForSelector(
      `${byTestId("application")}[data-name="shop"] ${byTestId("tree-node")}[data-id="counter"]`,
      {
        timeout: WAIT_MS,
      },
    );
    const kinds = await page.$$eval(`${byTestId("application")}[data-name="shop"] ${byTestId("tree-node")}`, (nodes) =>
      Object.fromEntries(nodes.map((n) => [n.getAttribute("data-id"), n.getAttribute("data-kind")])),
    );
    assert.equal(kinds.counter, "worker");
    assert.equal(kinds.cache_sup, "supervisor");
    assert.equal(kinds.cache, "worker");
    assert.equal(kinds.carts, "supervisor");
    await screenshot(page, "applications");

    await openTab(page, "distribution");
    await page.waitForSelector(byTestId("connection-table"), { timeout: WAIT_MS });
    await screenshot(page, "distribution");

    await openTab(page, "code");
    await page.waitForSelector(byTestId("module-table"), { timeout: WAIT_MS });
    await waitForText(page, "module-total", /loaded/, "the code view counts the loaded modules");
    await screenshot(page, "code");

    // The tabs are one stop in the tab order; the arrow keys move between them.
    await page.focus(byTestId("tab-code"));
    await page.keyboard.press("ArrowRight");
    await page.waitForSelector(`${byTestId("view-overview")}:not([hidden])`, { timeout: WAIT_MS });
    assert.equal(await page.getAttribute(byTestId("tab-overview"), "aria-selected"), "true");
    await page.keyboard.press("ArrowRight");
    await page.waitForSelector(`${byTestId("view-processes")}:not([hidden])`, { timeout: WAIT_MS });

    // The dark scheme: the page follows the system's preference, the charts redraw in its colours.
    await page.emulateMedia({ colorScheme: "dark" });
    await openTab(page, "overview");
    await page.waitForSelector(`${byTestId("chart-memory")} canvas`, { timeout: WAIT_MS });
    await screenshot(page, "overview-dark");
    await openTab(page, "applications");
    await page.waitForSelector(byTestId("tree-node"), { timeout: WAIT_MS });
    await screenshot(page, "applications-dark");

    assert.deepEqual(browser.problems, []);
  });

  test("live values move: the uptime, the process count and the charts", async (t) => {
    const { node, page, browser } = await observe(t);
    const uptime = await waitForText(page, "stat-uptime", /\d/, "the uptime is shown");
    await waitForText(page, "stat-uptime", { differentFrom: uptime }, "the uptime moves");

    const before = await samples(page, "chart-processes");
    await page.waitForFunction(
      ({ selector, before }) => Number(document.querySelector(selector)?.dataset.samples) >= before + 2,
      { selector: byTestId("chart-processes"), before },
      { timeout: WAIT_MS },
    );

    const count = Number((await textOf(page, "stat-processes")).replaceAll(",", ""));
    const extra = Array.from({ length: 50 }, () => node.runtime.spawn(async (self) => void (await self.receive())));
    t.after(() => {
      for (const pid of extra) node.runtime.exit(pid, atom("kill"));
    });
    await page.waitForFunction(
      ({ selector, atLeast }) =>
        Number(document.querySelector(selector)?.textContent?.replaceAll(",", "") ?? Number.NaN) >= atLeast,
      { selector: byTestId("stat-processes"), atLeast: count + 50 },
      { timeout: WAIT_MS },
    );
    assert.deepEqual(browser.problems, []);
  });

  test("a process is found by its name, inspected, sent to, killed; its supervisor's restart shows in the tree", async (t) => {
    const { node, page, browser } = await observe(t);
    const rt = node.runtime;
    const counter = rt.whereis(atom(COUNTER)) as Pid;

    await openTab(page, "processes");
    await page.fill(byTestId("process-filter"), COUNTER);
    const pid = await onlyRowNamed(page, COUNTER);
    assert.equal(pid, pidText(node, counter));

    await page.click(`${byTestId("process-row")}[data-pid="${pid}"]`);
    await page.waitForSelector(`${byTestId("view-process")}:not([hidden])`, { timeout: WAIT_MS });
    await waitForText(page, "process-title", new RegExp(escapeRegExp(pid)), "the detail names the process");
    await waitForText(page, "process-alive", /^alive$/, "the detail says it is alive");
    await waitForText(page, "process-state", /^\{counter,0,none\}$/, "the detail shows sys:get_state");
    assert.ok(await page.isVisible(byTestId("info-links")), "the detail lists the links");
    const links = await page.$$eval(`${byTestId("info-links")} ${byTestId("pid-link")}`, (as) =>
      as.map((a) => a.textContent),
    );
    assert.ok(
      links.includes(pidText(node, rt.whereis(atom("shop_sup")))),
      `the supervisor is among the links: ${links}`,
    );
    await screenshot(page, "process");

    await page.fill(byTestId("send-message"), "{add, 5}");
    await page.click(byTestId("send-submit"));
    await waitForText(page, "action-result", /^sent/, "the send is acknowledged");
    await waitForText(page, "process-state", /^\{counter,5,none\}$/, "the sent message changed the state");
    await page.fill(byTestId("send-message"), "{not, [valid");
    await page.click(byTestId("send-submit"));
    await waitForText(page, "action-result", /^failed: .+/, "a message that does not parse is refused with a reason");

    await page.click(byTestId("process-kill"));
    await page.waitForSelector(`${byTestId("kill-dialog")}[open]`, { timeout: WAIT_MS });
    await page.click(byTestId("kill-confirm"));
    await waitForText(page, "action-result", /^killed/, "the kill is acknowledged");
    await waitForText(page, "process-alive", /^dead$/, "the detail shows the process dead");
    assert.ok(await page.isDisabled(byTestId("process-kill")), "a dead process cannot be killed again");
    await screenshot(page, "process-killed");

    await waitFor(
      () => (rt.whereis(atom(COUNTER)) ?? counter) !== counter,
      "the supervisor restarts the counter",
      WAIT_MS,
    );
    const restarted = pidText(node, rt.whereis(atom(COUNTER)));
    await page.click(byTestId("process-back"));
    assert.equal(await page.inputValue(byTestId("process-filter")), COUNTER, "the list keeps its filter");
    assert.equal(await onlyRowNamed(page, COUNTER, pid), restarted, "the list shows the restarted counter");

    await openTab(page, "applications");
    const counterNode = `${byTestId("application")}[data-name="shop"] ${byTestId("tree-node")}[data-id="counter"]`;
    await page.waitForSelector(`${counterNode}[data-restarts="1"]`, { timeout: WAIT_MS });
    assert.equal(await page.textContent(`${counterNode} ${byTestId("restart-count")}`), "↻ 1");
    assert.ok(await page.$eval(`${counterNode} ${byTestId("restart-count")}`, (e) => e.classList.contains("hot")));
    assert.equal(await page.textContent(`${counterNode} ${byTestId("pid-link")}`), restarted);
    const cache = `${byTestId("tree-node")}[data-id="cache"]`;
    assert.equal(await page.getAttribute(cache, "data-restarts"), "0", "the other children did not restart");
    await screenshot(page, "applications-restart");

    assert.deepEqual(browser.problems, []);
  });

  test("the process list sorts by the column clicked and pages through the processes", async (t) => {
    const { node, page, browser } = await observe(t);
    const extra = Array.from({ length: 60 }, () => node.runtime.spawn(async (self) => void (await self.receive())));
    t.after(() => {
      for (const pid of extra) node.runtime.exit(pid, atom("kill"));
    });
    await openTab(page, "processes");
    await waitForText(page, "page-range", /^1–50 of \d+$/, "the first page holds 50 processes");

    await page.click(byTestId("sort-name"));
    await page.waitForSelector('th[aria-sort="ascending"] [data-testid="sort-name"]', { timeout: WAIT_MS });
    const names = await page.waitForFunction(
      () => {
        const cells = [...document.querySelectorAll('[data-testid="process-row"] [data-column="name"]')];
        const named = cells.map((c) => c.textContent ?? "").filter((n) => n !== "");
        const sorted = named.length > 1 && named.every((n, i) => i === 0 || named[i - 1]! <= n);
        return sorted && named.includes("net_kernel") ? named : false;
      },
      undefined,
      { timeout: WAIT_MS },
    );
    assert.ok(((await names.jsonValue()) as string[]).includes("shop_counter"));
    await page.click(byTestId("sort-name"));
    await page.waitForSelector('th[aria-sort="descending"] [data-testid="sort-name"]', { timeout: WAIT_MS });

    await page.click(byTestId("page-next"));
    await waitForText(page, "page-range", /^51–\d+ of \d+$/, "the next page starts at 51");
    assert.ok(!(await page.isDisabled(byTestId("page-previous"))), "the previous page can be reached");
    await page.click(byTestId("page-previous"));
    await waitForText(page, "page-range", /^1–50 of \d+$/, "back on the first page");
    assert.deepEqual(browser.problems, []);
  });

  test("the code view lists loaded modules with their current and old versions", async (t) => {
    const { node, page, browser } = await observe(t);
    await node.code.load("greeter", { source: "export const hello = () => 1;" });
    await node.code.load("greeter", { source: "export const hello = () => 2;" });
    await node.code.load("counter_math", { source: "export const add = (a, b) => a + b;" });

    await openTab(page, "code");
    const greeter = `${byTestId("module-row")}[data-module="greeter"]`;
    await page.waitForSelector(`${greeter}.has-old`, { timeout: WAIT_MS });
    const cells = await page.$$eval(`${greeter} td`, (tds) => tds.map((td) => td.textContent ?? ""));
    assert.match(cells[2]!, /^v2\b/, "the current version");
    assert.match(cells[3]!, /^v1\b/, "the old version");
    await waitForText(page, "module-total", /^2 loaded · 1 with old code$/, "the view counts modules and old code");

    await page.fill(byTestId("module-filter"), "math");
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid="module-row"]')].map((r) => r.dataset.module).join() ===
        "counter_math",
      undefined,
      { timeout: WAIT_MS },
    );
    await screenshot(page, "code-loaded");
    assert.deepEqual(browser.problems, []);
  });

  test("the page reconnects when the observer comes back", async (t) => {
    const { node, page, observer } = await observe(t);
    await openTab(page, "applications");
    const where = page.url();
    await observer.close(); // (the cleanup closes it again, harmlessly)
    await waitForText(page, "connection-state", /^disconnected · retrying in \d+ s$/, "the page sees the drop");
    // A new observer on the same port: the page finds it, is greeted again and watches its view again.
    const again = await startObserver(node, { port: observer.port, intervalMs: INTERVAL_MS });
    t.after(() => again.close());
    await waitForText(page, "connection-state", /^live$/, "the page reconnects");
    await page.waitForSelector(`${byTestId("application")}[data-name="shop"] ${byTestId("tree-node")}`, {
      timeout: WAIT_MS,
    });
    assert.equal(page.url(), where, "the page stays on its view");
  });

  test("the node switcher and the distribution view reach another Otter node", async (t) => {
    const epmdPort = await freePort();
    const cookie = uniqueCookie();
    const start = (prefix: string) =>
      startNode({ name: uniqueNodeName(prefix), cookie, epmdPort, listen: { host: "127.0.0.1" } });
    const first = await start("observer_a");
    t.after(() => first.stop());
    const second = await start("observer_b");
    t.after(() => second.stop());
    const { page, browser } = await observe(t, first);

    assert.ok(await first.connect(second.name), "the nodes connect");
    await page.waitForSelector(`${byTestId("node-switch")} option[value="${second.name.name}"]`, {
      state: "attached",
      timeout: WAIT_MS,
    });

    await openTab(page, "distribution");
    const row = `${byTestId("connection-row")}[data-node="${second.name.name}"]`;
    await page.waitForSelector(row, { timeout: WAIT_MS });
    await screenshot(page, "distribution-connected");
    await page.click(`${row} button`);
    await waitForText(
      page,
      "node-name",
      new RegExp(`^${escapeRegExp(second.name.name)}$`),
      "the header shows the other node",
    );
    await page.waitForSelector(`${byTestId("view-overview")}:not([hidden])`, { timeout: WAIT_MS });
    await waitForText(page, "stat-processes", /^[1-9]/, "the other node's overview arrives");

    const rex = pidText(second, second.runtime.whereis(atom("rex")));
    await openTab(page, "processes");
    await page.fill(byTestId("process-filter"), "rex");
    assert.equal(await onlyRowNamed(page, "rex"), rex, "the list shows the other node's processes");

    await page.selectOption(byTestId("node-switch"), first.name.name);
    await waitForText(page, "node-name", new RegExp(`^${escapeRegExp(first.name.name)}$`), "the switcher returns");
    assert.equal(await onlyRowNamed(page, "rex"), pidText(first, first.runtime.whereis(atom("rex"))));

    // The node shown goes away: the page falls back to its own node and says why.
    await page.selectOption(byTestId("node-switch"), second.name.name);
    await waitForText(page, "node-name", new RegExp(`^${escapeRegExp(second.name.name)}$`), "the switcher goes again");
    assert.ok(first.disconnect(second.name), "the nodes disconnect");
    await waitForText(page, "node-name", new RegExp(`^${escapeRegExp(first.name.name)}$`), "the page falls back");
    await waitForText(page, "view-error", /is no longer connected/, "the page says why it shows another node");
    assert.deepEqual(browser.problems, []);
  });

  test("the observer shows a connected BEAM node through rpc", async (t) => {
    const pair = await startNodeBesideErl("observer_beam");
    t.after(() => pair.stop());
    const { page, browser } = await observe(t, pair.node);
    assert.ok(await pair.node.connect(pair.erl.name), "the nodes connect");

    await page.waitForSelector(`${byTestId("node-switch")} option[value="${pair.erl.name}"]`, {
      state: "attached",
      timeout: WAIT_MS,
    });
    await page.selectOption(byTestId("node-switch"), pair.erl.name);
    await waitForText(
      page,
      "node-name",
      new RegExp(`^${escapeRegExp(pair.erl.name)}$`),
      "the header shows the BEAM node",
    );
    assert.equal(await page.getAttribute(byTestId("node-name"), "data-kind"), "beam");
    await waitForText(page, "stat-processes", /^[1-9]/, "the BEAM node's overview arrives");
    await screenshot(page, "beam-overview");

    await openTab(page, "processes");
    await page.fill(byTestId("process-filter"), "code_server");
    const pid = await onlyRowNamed(page, "code_server");
    await page.click(`${byTestId("process-row")}[data-pid="${pid}"]`);
    await waitForText(page, "process-alive", /^alive$/, "the BEAM process's detail arrives");

    await openTab(page, "applications");
    await page.waitForSelector(`${byTestId("application")}[data-name="kernel"]`, { timeout: WAIT_MS });
    await screenshot(page, "beam-applications");
    assert.deepEqual(browser.problems, []);
  });
});
