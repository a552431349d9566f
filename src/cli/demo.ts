// The `npm start` demo: a node named `demo` (`demo_2`, … when that name is taken) running the kv example
// application (examples/kv/kv.ts) with the embedded EPMD when none runs and the observer, and a guide to what to do
// next: curl the HTTP API, connect from erl, open a remote shell. It is `otter start` with these defaults, so the
// same environment variables configure it (OTTER_SNAME, OTTER_COOKIE, OTTER_APP_KV_PORT, …); it needs no erl.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { EpmdRefusedError } from "../dist/epmd/client.ts";
import { Application, type Process, type Term } from "../index.ts";
import { readStartConfig, type StartConfig } from "./config.ts";
import { boot, failed, type Started, serve, watchSignals } from "./start.ts";

const APPLICATION_MODULE = fileURLToPath(new URL("../../examples/kv/kv.ts", import.meta.url));
/** How many `demo_<n>` names are tried before giving up. */
const NAMES_TRIED = 20;

/** Runs the demo until SIGINT/SIGTERM; resolves to the exit status. */
export async function runDemo(): Promise<number> {
  const signals = watchSignals();
  const cookie = `demo_${randomBytes(6).toString("hex")}`;
  let config: StartConfig;
  let started: Started;
  try {
    ({ config, started } = await bootDemo(cookie));
  } catch (error) {
    return failed(error);
  }
  await printGuide(started, config.node.cookie ?? cookie);
  return serve(started, signals);
}

/** Boots under the first free name `demo`, `demo_2`, … (unless the environment names the node). */
async function bootDemo(cookie: string): Promise<{ config: StartConfig; started: Started }> {
  for (let n = 1; ; n++) {
    const sname = n === 1 ? "demo" : `demo_${n}`;
    const config = await readStartConfig({}, process.env, { sname, cookie, observer: 0 });
    try {
      return { config, started: await boot(config, APPLICATION_MODULE) };
    } catch (error) {
      if (!(error instanceof EpmdRefusedError && config.nameFrom === "default" && n < NAMES_TRIED)) throw error;
    }
  }
}

async function printGuide(started: Started, cookie: string): Promise<void> {
  const { node, observer } = started;
  const name = node.name.name;
  const rt = node.runtime;
  const kv = node.code.module<{ url(self: Process): Promise<Term> }>("kv");
  const http = String(await rt.run((self) => kv.url(self)));
  const chaosEveryMs = Application.getEnv(rt, "kv", "chaosEveryMs") as number;
  const epmdPort = process.env.ERL_EPMD_PORT ? `ERL_EPMD_PORT=${process.env.ERL_EPMD_PORT} ` : "";
  const host = name.slice(name.indexOf("@") + 1);
  const me = host.includes(".") ? `-name me@${host}` : "-sname me";
  const chaos =
    chaosEveryMs === 0
      ? "The chaos monkey is off."
      : `A chaos monkey crashes every ${chaosEveryMs / 1000} s: watch its supervisor restart it.`;
  console.log(`
Otter demo: node ${name} runs the application kv, a key-value store with one process per key under a
DynamicSupervisor, found through a Registry. ${chaos}

  observer      ${observer === undefined ? "not started (see above)" : observer.url}
  HTTP API      curl -X PUT -d hello ${http}/kv/greeting
                curl ${http}/kv/greeting
                curl ${http}/kv
  from erl      ${epmdPort}erl ${me} -setcookie ${cookie}
                  net_adm:ping('${name}').
                  rpc:call('${name}', kv, get, [<<"greeting">>]).
  remote shell  ${epmdPort}npx otter remsh ${name} --cookie ${cookie}

Stop it with Ctrl-C.
`);
}
