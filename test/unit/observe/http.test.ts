// The observer's HTTP side: the page and its assets with their content types, uPlot from node_modules, 404 for
// every way out of the page's directory, 405 for other methods.
import assert from "node:assert/strict";
import { request } from "node:http";
import { resolve } from "node:path";
import { describe, test } from "node:test";
import type { Observer } from "../../../src/index.ts";
import { assetPath, PAGE_DIRECTORY } from "../../../src/observe/http-routes.ts";
import { observedRuntime } from "./support.ts";

/** A raw GET (fetch would normalise `..` away before sending). */
function get(
  observer: Observer,
  path: string,
  method = "GET",
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port: observer.port, path, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => done({ status: res.statusCode!, type: String(res.headers["content-type"]), body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("the observer's HTTP routes", () => {
  const observed = observedRuntime();

  test("the page, its assets (nested too) and uPlot, with their content types", async () => {
    assert.match(observed.observer.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(observed.observer, "/");
    assert.equal(page.status, 200);
    assert.equal(page.type, "text/html; charset=utf-8");
    assert.match(page.body, /<html/i);
    const script = await get(observed.observer, "/assets/app.js");
    assert.deepEqual([script.status, script.type], [200, "text/javascript; charset=utf-8"]);
    assert.equal((await get(observed.observer, "/assets/style.css")).type, "text/css; charset=utf-8");
    const uplot = await get(observed.observer, "/vendor/uplot.js");
    assert.equal(uplot.status, 200);
    assert.match(uplot.body, /uPlot/);
    assert.equal((await get(observed.observer, "/vendor/uplot.css")).type, "text/css; charset=utf-8");
    assert.equal((await get(observed.observer, "/assets/no-such.js")).status, 404);
    assert.equal((await get(observed.observer, "/nowhere")).status, 404);
  });

  test("no path leaves the page's directory", async () => {
    for (const path of [
      "/assets/../../package.json",
      "/assets/..%2f..%2fpackage.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/assets/..%5c..%5cpackage.json",
      "/assets/%2fetc%2fpasswd",
      "/assets//etc/passwd",
      "/assets/app.js%00.css",
      "/assets/%E0%A4%A",
      "/assets/",
      "/assets/views",
    ]) {
      const answer = await get(observed.observer, path);
      assert.equal(answer.status, 404, `${path} is refused`);
      assert.doesNotMatch(answer.body, /"name": "otter"|root:/);
    }
    assert.equal(assetPath(PAGE_DIRECTORY, "views/tree.js"), resolve(PAGE_DIRECTORY, "views", "tree.js"));
    assert.equal(assetPath(PAGE_DIRECTORY, "views/../../x"), undefined);
  });

  test("only GET and HEAD", async () => {
    const head = await get(observed.observer, "/", "HEAD");
    assert.deepEqual([head.status, head.body], [200, ""]);
    assert.equal((await get(observed.observer, "/", "POST")).status, 405);
  });
});
