// Spawn options as a spawn request carries them to another node or scheduler (erlang:spawn_opt's option list, as
// SPAWN_REQUEST sends it), from the local spawn's options and back to them.
//
// `link`, `monitor` and `{priority, low | normal | high}` are Erlang's; `{trap_exit, Bool}` and `{name, Name}` carry
// the local spawn's `trapExit` and `name`. The BEAM's memory tuning (`{fullsweep_after, N}`, `{min_heap_size, N}`,
// `{message_queue_data, off_heap}` …) means nothing here and is accepted without effect, so Erlang code that passes
// it still spawns. An option with no term form, and on the receiving side any other option this runtime cannot
// honour (`{priority, max}`, an unknown option), is spawn_opt's `badopt`.
import { Atom, atom } from "../term/atom.ts";
import { type Term, Tuple, tuple } from "../term/types.ts";
import type { Priority, SpawnOptions } from "./process.ts";

const LINK = atom("link");
const MONITOR = atom("monitor");
const PRIORITY = atom("priority");
const TRAP_EXIT = atom("trap_exit");
const NAME = atom("name");
const UNDEFINED = atom("undefined");
/** spawn_opt's memory-tuning options: keys of the BEAM's per-process heap and queue settings, no-ops here. */
const MEMORY_TUNING = new Set([
  atom("fullsweep_after"),
  atom("min_heap_size"),
  atom("min_bin_vheap_size"),
  atom("max_heap_size"),
  atom("message_queue_data"),
  atom("async_dist"),
]);
const PRIORITIES = new Map<Atom, Priority>([
  [atom("low"), "low"],
  [atom("normal"), "normal"],
  [atom("high"), "high"],
]);

/** The local spawn's options a spawn request carries (not `arg`: a spawn request runs a function, not a behaviour). */
export type CarriedSpawnOptions = Pick<SpawnOptions, "name" | "trapExit" | "priority">;

/** What a spawn request's option list asks for. */
export interface RequestedOptions {
  readonly link: boolean;
  readonly monitor: boolean;
  readonly spawn: CarriedSpawnOptions;
}

/** `options` as option terms, or undefined when one has no term form (a priority not known, a JS value …). */
export function spawnOptionTerms(options: CarriedSpawnOptions): Term[] | undefined {
  const terms: Term[] = [];
  const { priority, trapExit, name } = options;
  if (priority !== undefined) {
    // Looked up, not made with atom(): a priority that is not one would add an atom to the bounded table.
    const term = [...PRIORITIES].find(([, known]) => known === priority)?.[0];
    if (term === undefined) return undefined;
    terms.push(tuple(PRIORITY, term));
  }
  if (trapExit !== undefined) {
    if (typeof trapExit !== "boolean") return undefined;
    terms.push(tuple(TRAP_EXIT, trapExit));
  }
  if (name !== undefined) {
    if (!(name instanceof Atom) || name === UNDEFINED) return undefined;
    terms.push(tuple(NAME, name));
  }
  return terms;
}

/** The options a spawn request's list asks for; undefined when one is not known here or malformed (badopt). */
export function requestedOptions(terms: readonly Term[]): RequestedOptions | undefined {
  let link = false;
  let monitor = false;
  const spawn: { -readonly [K in keyof CarriedSpawnOptions]: CarriedSpawnOptions[K] } = {};
  for (const term of terms) {
    if (term === LINK) link = true;
    else if (term === MONITOR) monitor = true;
    else if (!(term instanceof Tuple && term.size === 2)) return undefined;
    else {
      const [key, value] = term.elements as [Term, Term];
      if (key === MONITOR && Array.isArray(value))
        monitor = true; // {monitor, MonitorOpts}: the requester's part
      else if (key === PRIORITY && value instanceof Atom && PRIORITIES.has(value))
        spawn.priority = PRIORITIES.get(value);
      else if (key === TRAP_EXIT && typeof value === "boolean") spawn.trapExit = value;
      else if (key === NAME && value instanceof Atom && value !== UNDEFINED) spawn.name = value;
      else if (!(key instanceof Atom && MEMORY_TUNING.has(key))) return undefined;
    }
  }
  return { link, monitor, spawn };
}
