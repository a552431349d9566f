// Takes the README's picture of the observer: a node running the shop under some load (messages every tick, a
// worker that crashes now and then), the observer, and Chromium at 1280×800; writes docs/observer.png.
import { mkdir } from "node:fs/promises";
import { startNode } from "../src/node/node.ts";
import { startObserver } from "../src/observe/index.ts";
import { freePort } from "../src/testing/erl-node.ts";
import { startShop } from "../test/browser/watched-app.ts";
import { byTestId, openBrowser, WAIT_MS } from "../test/support/browser.ts";
import { uniqueCookie, uniqueNodeName } from "../test/support/dist.ts";

/** What the in-page check touches of the DOM (this project compiles without the DOM library; the code runs there). */
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };

const OUTPUT = new URL("../docs/observer.png", import.meta.url);
const INTERVAL_MS = 250;
/** Enough samples for the charts to show a trend (about 15 s). */
const SAMPLES = 60;

const node = await startNode({
  name: uniqueNodeName("demo"),
  cookie: uniqueCookie(),
  epmdPort: await freePort(),
  listen: { host: "127.0.0.1" },
  runtime: { logger: () => {} }, // the flaky worker's crash reports are for the picture, not the terminal
});
try {
  await startShop(node.runtime, { carts: 24, tickMs: 20, churn: true, crashEveryMs: 4000 });
  const observer = await startObserver(node, { port: 0, intervalMs: INTERVAL_MS });
  try {
    const browser = await openBrowser({ width: 1280, height: 800 });
    try {
      const { page } = browser;
      await page.goto(observer.url);
      await page.waitForFunction(
        ({ selector, samples }) => Number(document.querySelector(selector)?.getAttribute("data-samples")) >= samples,
        { selector: byTestId("chart-processes"), samples: SAMPLES },
        { timeout: WAIT_MS + SAMPLES * INTERVAL_MS },
      );
      await mkdir(new URL(".", OUTPUT), { recursive: true });
      await page.screenshot({ path: OUTPUT.pathname });
      console.log(`wrote ${OUTPUT.pathname}`);
    } finally {
      await browser.close();
    }
  } finally {
    await observer.close();
  }
} finally {
  await node.stop();
}
