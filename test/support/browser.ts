// Test helpers for the observer's browser tests: Debian's Chromium driven by playwright-core, a fresh profile per
// launch, the page's own errors collected, and waits with a deadline (playwright-core has no `expect`).
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's chromium (`OTTER_CHROMIUM` names another build, e.g. on a machine without Debian's package). */
export const CHROMIUM = process.env.OTTER_CHROMIUM ?? "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** What the in-page checks touch of the DOM (this project compiles without the DOM library; the code runs there). */
declare const document: { querySelector(selector: string): { readonly textContent: string | null } | null };

/** How long a wait for something on the page may take before the test fails. */
export const WAIT_MS = 15_000;

export interface BrowserPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught errors and console errors of the page, and requests that failed or went anywhere but `origin`. */
  readonly problems: string[];
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh profile and opens one page. Fails (never skips) when Debian's chromium is not
 * installed: the observer's tests must not pass by not running.
 */
export async function openBrowser(
  options: { width?: number; height?: number; origin?: string } = {},
): Promise<BrowserPage> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the observer's browser tests drive Debian's chromium (apt-get install chromium; .ci/run installs it), or set OTTER_CHROMIUM`,
    );
  }
  const profile = await mkdtemp(join(tmpdir(), "otter-chromium-"));
  let context: BrowserContext;
  try {
    // A fresh --user-data-dir: Playwright takes it as the persistent context's directory.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`),
  );
  if (options.origin !== undefined) {
    const origin = options.origin;
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.protocol !== "data:" && url.origin !== origin && url.origin.replace(/^ws/, "http") !== origin) {
        problems.push(`request outside the node: ${request.url()}`);
      }
    });
  }
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The `[data-testid=…]` selector. */
export function byTestId(testid: string): string {
  return `[data-testid="${testid}"]`;
}

/** The trimmed text of the first element with `testid`, once it exists. */
export async function textOf(page: Page, testid: string): Promise<string> {
  const text = await page.locator(byTestId(testid)).first().textContent({ timeout: WAIT_MS });
  return (text ?? "").trim();
}

/**
 * Waits until the text of the first `testid` element satisfies `accept` (a regexp, or anything but `differentFrom`),
 * polling in the page; fails naming what it waited for and what it last saw.
 */
export async function waitForText(
  page: Page,
  testid: string,
  expected: RegExp | { readonly differentFrom: string },
  what: string,
): Promise<string> {
  const pattern = expected instanceof RegExp ? { source: expected.source, flags: expected.flags } : null;
  const differentFrom = expected instanceof RegExp ? null : expected.differentFrom;
  try {
    const handle = await page.waitForFunction(
      ({ selector, pattern, differentFrom }) => {
        const text = document.querySelector(selector)?.textContent?.trim();
        if (text === undefined) return false;
        const ok = pattern !== null ? new RegExp(pattern.source, pattern.flags).test(text) : text !== differentFrom;
        return ok ? text : false;
      },
      { selector: byTestId(testid), pattern, differentFrom },
      { timeout: WAIT_MS },
    );
    return (await handle.jsonValue()) as string;
  } catch (error) {
    const last = await page
      .locator(byTestId(testid))
      .first()
      .textContent({ timeout: 100 })
      .catch(() => "(no such element)");
    throw new Error(`${what}: waited ${WAIT_MS} ms; [data-testid=${testid}] last read ${JSON.stringify(last)}`, {
      cause: error,
    });
  }
}
