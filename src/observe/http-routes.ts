// The observer's HTTP side: the page (`/` and `/assets/…`, the files of src/observe/page/), uPlot from
// node_modules (`/vendor/uplot.js`, `/vendor/uplot.css`: installed with the package, never fetched), and `/metrics`.
// A path is confined to the page's directory: `..`, encoded separators and absolute paths get 404.
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The page's directory: the same place from src/observe/ (run with tsx) and from dist/observe/ (the built package,
 * which ships src/observe/page/ as it is: plain browser modules, no build step).
 */
export const PAGE_DIRECTORY = fileURLToPath(new URL("../../src/observe/page/", import.meta.url));

const require = createRequire(import.meta.url);
const VENDOR: Readonly<Record<string, string>> = {
  "/vendor/uplot.js": require.resolve("uplot/dist/uPlot.iife.min.js"),
  "/vendor/uplot.css": require.resolve("uplot/dist/uPlot.min.css"),
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

/** The Prometheus text format's media type (exposition format 0.0.4). */
const METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** The handler of every HTTP request but the WebSocket upgrade; `metrics` renders `/metrics`. */
export function httpRoutes(metrics: () => string, pageDirectory = PAGE_DIRECTORY): Handler {
  return (request, response) => {
    route(request, response, metrics, pageDirectory).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, "text/plain; charset=utf-8", `observer: ${String(error)}\n`);
      else response.destroy();
    });
  };
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  metrics: () => string,
  pageDirectory: string,
): Promise<void> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("Allow", "GET, HEAD");
    return reply(response, 405, "text/plain; charset=utf-8", "method not allowed\n");
  }
  const path = new URL(request.url ?? "/", "http://observer").pathname;
  if (path === "/metrics") return reply(response, 200, METRICS_TYPE, metrics());
  if (path === "/" || path === "/index.html") return file(response, resolve(pageDirectory, "index.html"));
  const vendored = VENDOR[path];
  if (vendored !== undefined) return file(response, vendored);
  if (path.startsWith("/assets/")) {
    const inside = assetPath(pageDirectory, path.slice("/assets/".length));
    if (inside !== undefined) return file(response, inside);
  }
  reply(response, 404, "text/plain; charset=utf-8", "not found\n");
}

/** The file `relative` names inside `directory`, or undefined when it would leave it or is not a plain path. */
export function assetPath(directory: string, relative: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return undefined;
  }
  const segments = decoded.split("/");
  if (decoded.includes("\\") || decoded.includes("\0") || segments.some((s) => s === "" || s === "." || s === "..")) {
    return undefined;
  }
  const root = resolve(directory);
  const full = resolve(root, ...segments);
  return full.startsWith(root + sep) ? full : undefined;
}

async function file(response: ServerResponse, path: string): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(path);
  } catch {
    return reply(response, 404, "text/plain; charset=utf-8", "not found\n");
  }
  reply(response, 200, CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream", body);
}

function reply(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, {
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
  });
  response.end(response.req.method === "HEAD" ? undefined : body);
}
