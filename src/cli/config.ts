// The configuration of `otter start` (the role of sys.config): the node's settings and the application's env, from
// flags, the environment and a config file, each checked with a message naming the setting and what it must be.
//
// Precedence, highest first: flags > environment variables > the config file > defaults (the node's own; for an
// application, the `env` of its spec, which Application.load applies under what is given here).
//
//   node key   flag            environment           file (`node` section)
//   sname      --sname         OTTER_SNAME           sname      a short name, `alive` or `alive@host`
//   name       --name          OTTER_NAME            name       a long name (one layer may not set both)
//   cookie     --cookie        OTTER_COOKIE          cookie
//   distPort   --dist-port     OTTER_DIST_PORT       distPort   0..65535 (0: any free port)
//   address    --address       OTTER_ADDRESS         address    where to listen for other nodes
//   hidden     --hidden        OTTER_HIDDEN          hidden     true or false
//   observer   --observer[=P]  OTTER_OBSERVER_PORT   observer   the web observer: true (any port), a port, or false
//   log        --log           OTTER_LOG             log        line (one line an event), otp (OTP's reports), json
//   rebalance  --rebalance     OTTER_REBALANCE       rebalance  true or false (default): migration, membership and
//                                                               the rebalancer, started with the node
//   seeds      --seeds A,B     OTTER_SEEDS           seeds      nodes `alive@host` the membership keeps connected:
//                                                               comma-separated, or a list in a file; needs rebalance
//
// Application env: `--set app.key=value` (repeatable), `OTTER_APP_<APP>_<KEY>` (names upper-cased, camelCase and
// punctuation turned into `_`: kv's chaosEveryMs is OTTER_APP_KV_CHAOS_EVERY_MS), and the file's `<app>` section.
// Only keys the application's spec declares in its `env` are accepted, each of the kind of its default (text from
// flags and variables is read as that kind). Empty environment variables count as unset.
import { type RawSetting, readConfigFile, type Sections } from "./config-file.ts";
import {
  BOOLEAN,
  ConfigError,
  type Expected,
  expectedLike,
  NON_EMPTY_STRING,
  oneOf,
  PORT,
  STRING,
  shown,
} from "./config-values.ts";

export { ConfigError } from "./config-values.ts";

/** What the command line gave `otter start`, as text (`hidden` is a switch). */
export interface StartFlags {
  readonly sname?: string;
  readonly name?: string;
  readonly cookie?: string;
  readonly distPort?: string;
  readonly address?: string;
  readonly hidden?: boolean;
  /** `--observer` alone is "" (any free port). */
  readonly observer?: string;
  readonly log?: string;
  readonly rebalance?: boolean;
  /** `--seeds a@h,b@h`. */
  readonly seeds?: string;
  /** `--config FILE`. */
  readonly config?: string;
  /** `--set app.key=value`, each. */
  readonly set?: readonly string[];
}

export type LogFormat = "line" | "otp" | "json";

export interface NodeSettings {
  readonly sname?: string;
  readonly name?: string;
  readonly cookie?: string;
  readonly distPort?: number;
  readonly address?: string;
  readonly hidden: boolean;
  /** The observer's port (0: any free one), or undefined for no observer. */
  readonly observer?: number;
  readonly log: LogFormat;
  /** Start migration, cluster membership and the rebalancer with the node (off when unset). */
  readonly rebalance?: boolean;
  /** The nodes the cluster membership connects to and keeps connected (ClusterOptions.seeds); with `rebalance`. */
  readonly seeds?: readonly string[];
}

/** Node settings a caller gives as defaults, below every source (the demo's name, say). */
export type NodeDefaults = Partial<Omit<NodeSettings, "observer">> & { readonly observer?: number };

export type Environment = Readonly<Record<string, string | undefined>>;

export interface StartConfig {
  readonly node: NodeSettings;
  /** Where the node's name came from, for messages (`--sname`, `environment: OTTER_SNAME`, …), or `default`. */
  readonly nameFrom: string | undefined;
  /** The application settings of each source, checked by `applicationEnv` once the application is known. */
  readonly application: {
    readonly flags: Sections;
    /** The OTTER_APP_* variables, not yet matched to an application's keys. */
    readonly variables: readonly (readonly [string, string])[];
    readonly file: Sections;
  };
}

const OBSERVER: Expected = {
  what: "true, false or a port 0..65535",
  read: (raw, form) => {
    if (form === "text" && raw === "") return { value: 0 }; // `--observer` alone
    if (typeof raw === "boolean") return { value: raw ? 0 : false };
    return PORT.read(raw, form);
  },
};

/** A node name as a seed: `alive@host`, each part non-empty. */
const NODE_NAME = /^[^@\s]+@[^@\s]+$/;

const SEEDS: Expected = {
  what: "node names alive@host, comma-separated (in a file, also a list)",
  read: (raw, form) => {
    const whole = STRING.read(raw, form)?.value; // text; a JSON string; an Erlang atom, binary or string
    const items =
      typeof whole === "string" ? [whole] : Array.isArray(raw) ? raw.map((i) => STRING.read(i, form)?.value) : [];
    if (items.length === 0 || items.some((item) => typeof item !== "string")) return undefined;
    const names = (items as string[]).flatMap((item) => item.split(",")).map((name) => name.trim());
    return names.every((name) => NODE_NAME.test(name)) ? { value: names } : undefined;
  },
};

interface NodeKey {
  readonly flag: keyof StartFlags;
  readonly variable: string;
  readonly expected: Expected;
}

const NODE_KEYS: Readonly<Record<keyof NodeSettings, NodeKey>> = {
  sname: { flag: "sname", variable: "OTTER_SNAME", expected: NON_EMPTY_STRING },
  name: { flag: "name", variable: "OTTER_NAME", expected: NON_EMPTY_STRING },
  cookie: { flag: "cookie", variable: "OTTER_COOKIE", expected: NON_EMPTY_STRING },
  distPort: { flag: "distPort", variable: "OTTER_DIST_PORT", expected: PORT },
  address: { flag: "address", variable: "OTTER_ADDRESS", expected: STRING },
  hidden: { flag: "hidden", variable: "OTTER_HIDDEN", expected: BOOLEAN },
  observer: { flag: "observer", variable: "OTTER_OBSERVER_PORT", expected: OBSERVER },
  log: { flag: "log", variable: "OTTER_LOG", expected: oneOf("line", "otp", "json") },
  rebalance: { flag: "rebalance", variable: "OTTER_REBALANCE", expected: BOOLEAN },
  seeds: { flag: "seeds", variable: "OTTER_SEEDS", expected: SEEDS },
};

const NODE = "node";
const APP_VARIABLE = "OTTER_APP_";

/** Reads and checks every source of the node's settings; application settings are only gathered (see above). */
export async function readStartConfig(
  flags: StartFlags,
  env: Environment,
  defaults: NodeDefaults = {},
): Promise<StartConfig> {
  const file = flags.config === undefined ? new Map() : await readConfigFile(flags.config);
  const layers = [flagSections(flags), variableSections(env), file];
  for (const layer of layers) checkNodeKeys(layer.get(NODE));
  const settings: Record<string, unknown> = { hidden: false, log: "line", ...defaults };
  let nameFrom: string | undefined =
    defaults.sname !== undefined || defaults.name !== undefined ? "default" : undefined;
  for (const layer of [...layers].reverse()) {
    const node = layer.get(NODE);
    if (node === undefined) continue;
    const sname = node.get("sname");
    const name = node.get("name");
    if (sname !== undefined && name !== undefined) {
      throw new ConfigError(`${sname.source}${sname.label} and ${name.label} cannot both be set`);
    }
    const naming = sname ?? name;
    if (naming !== undefined) {
      delete settings.sname;
      delete settings.name;
      nameFrom = `${naming.source}${naming.label}`;
    }
    for (const [key, raw] of node) settings[key] = checked(raw, NODE_KEYS[key as keyof NodeSettings].expected);
  }
  if (settings.observer === false) delete settings.observer;
  if (settings.seeds !== undefined && settings.rebalance !== true) {
    throw new ConfigError(
      "seeds are set but rebalance is not: the cluster membership that connects to them starts with it",
    );
  }
  const withoutNode = (sections: Sections): Sections => new Map([...sections].filter(([name]) => name !== NODE));
  const variables = Object.entries(env).filter(
    (entry): entry is [string, string] =>
      entry[0].startsWith(APP_VARIABLE) && entry[1] !== undefined && entry[1] !== "",
  );
  return {
    node: settings as unknown as NodeSettings,
    nameFrom,
    application: { flags: withoutNode(layers[0]!), variables, file: withoutNode(file) },
  };
}

function checkNodeKeys(node: Map<string, RawSetting> | undefined): void {
  for (const [key, raw] of node ?? []) {
    if (!Object.hasOwn(NODE_KEYS, key)) {
      throw new ConfigError(`${raw.source}unknown key ${raw.label} (known: ${Object.keys(NODE_KEYS).join(", ")})`);
    }
  }
}

/** The checked value of `raw`, or a ConfigError naming it and what it must be. */
function checked(raw: RawSetting, expected: Expected): unknown {
  const read = expected.read(raw.value, raw.form);
  if (read === undefined) {
    throw new ConfigError(`${raw.source}${raw.label} must be ${expected.what}, got ${shown(raw.value, raw.form)}`);
  }
  return read.value;
}

function flagSections(flags: StartFlags): Sections {
  const node = new Map<string, RawSetting>();
  for (const [key, { flag }] of Object.entries(NODE_KEYS)) {
    const value = flags[flag];
    if (value === undefined) continue;
    const label = `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    node.set(key, { value, form: typeof value === "boolean" ? "json" : "text", label, source: "" });
  }
  const sections: Sections = new Map([[NODE, node]]);
  for (const assignment of flags.set ?? []) {
    const match = /^([^.=]+)\.([^=]+)=(.*)$/s.exec(assignment);
    if (match === null) throw new ConfigError(`--set takes APP.KEY=VALUE, got ${JSON.stringify(assignment)}`);
    const [, app, key, value] = match as unknown as [string, string, string, string];
    if (app === NODE) throw new ConfigError(`--set is for application env; node settings have flags (--sname, …)`);
    if (!sections.has(app)) sections.set(app, new Map());
    sections.get(app)!.set(key, { value, form: "text", label: `--set ${app}.${key}`, source: "" });
  }
  return sections;
}

function variableSections(env: Environment): Sections {
  const node = new Map<string, RawSetting>();
  for (const [key, { variable }] of Object.entries(NODE_KEYS)) {
    const value = env[variable];
    if (value !== undefined && value !== "")
      node.set(key, { value, form: "text", label: variable, source: "environment: " });
  }
  return new Map([[NODE, node]]);
}

/** A name as it appears in an environment variable: `chaosEveryMs` → `CHAOS_EVERY_MS`, `my-app` → `MY_APP`. */
function variablePart(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toUpperCase();
}

/** The variable that sets `key` of application `app`. */
export function applicationVariable(app: string, key: string): string {
  return `${APP_VARIABLE}${variablePart(app)}_${variablePart(key)}`;
}

/**
 * The env to load application `spec` with: every configured key, checked against the keys its spec declares and
 * read as the kind of each one's default. A section, key or variable for anything else is an error; with no
 * application (a bare node), every application setting is.
 */
export function applicationEnv(config: StartConfig, spec: ApplicationKeys | undefined): Record<string, unknown> {
  const app = spec?.name;
  const defaults = spec?.env ?? {};
  const known = Object.keys(defaults);
  const { flags, file } = config.application;
  const variables = matchVariables(config.application.variables, app, known);
  const env: Record<string, unknown> = {};
  for (const layer of [file, variables, flags]) {
    for (const [section, settings] of layer) {
      for (const [key, raw] of settings) {
        if (section !== app) {
          throw new ConfigError(`${raw.source}${raw.label}: no application ${section} is loaded (${loaded(app)})`);
        }
        if (!Object.hasOwn(defaults, key)) {
          const list = known.length === 0 ? `${app} declares no env` : `known: ${known.join(", ")}`;
          throw new ConfigError(`${raw.source}${raw.label} is not in application ${app}'s env (${list})`);
        }
        env[key] = checked(raw, expectedLike(defaults[key]));
      }
    }
  }
  return env;
}

/** What `applicationEnv` needs of an application's spec. */
export interface ApplicationKeys {
  readonly name: string;
  readonly env?: Readonly<Record<string, unknown>>;
}

function loaded(app: string | undefined): string {
  return app === undefined ? "none is" : `loaded: ${app}`;
}

/** The OTTER_APP_* variables as settings of application `app`; one that names no key of it is an error. */
function matchVariables(
  variables: StartConfig["application"]["variables"],
  app: string | undefined,
  known: readonly string[],
): Sections {
  const settings = new Map<string, RawSetting>();
  for (const [variable, value] of variables) {
    const key = app === undefined ? undefined : known.find((k) => applicationVariable(app, k) === variable);
    if (key === undefined) {
      const names = app === undefined ? [] : known.map((k) => applicationVariable(app, k));
      const expected = app === undefined ? loaded(app) : `${app}'s are ${names.join(", ") || "none: it has no env"}`;
      throw new ConfigError(`environment: ${variable} names no application env key (${expected})`);
    }
    settings.set(key, { value, form: "text", label: variable, source: "environment: " });
  }
  return app === undefined || settings.size === 0 ? new Map() : new Map([[app, settings]]);
}
