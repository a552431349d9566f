#!/usr/bin/env node
// The `otter` command line; the compiled code lives in dist/ (built by `npm run build`, run on install).
await import("../dist/cli/main.js");
