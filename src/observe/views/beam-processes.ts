// The processes table of a BEAM node: erlang:processes/0, then process_info/2 for only what the page needs (the
// page's pids when it is in pid order, else every process up to BEAM_READ_CAP, past it a random sample and the
// registered processes), all of them in one call: `lists:zipwith(fun erlang:process_info/2, Pids, Items)`.
import { Atom, atom } from "../../term/atom.ts";
import { ExportFun, Pid, type Term } from "../../term/types.ts";
import type { ProcessPage } from "../protocol.ts";
import { mfaText } from "../term-text.ts";
import { type BeamRpc, numberOf, PROCESS_INFO, proplist } from "./beam-rpc.ts";
import {
  comparePids,
  type ProcessesView,
  pageOf,
  printed,
  type Row,
  readsEveryProcess,
  sampleOf,
} from "./process-page.ts";

const WHEREIS = new ExportFun(atom("erlang"), atom("whereis"), 1);

/** The most processes whose info one page reads from a BEAM node (besides the registered ones). */
export const BEAM_READ_CAP = 5_000;

const ROW_ITEMS: Term[] = [
  "registered_name",
  "current_function",
  "status",
  "memory",
  "message_queue_len",
  "reductions",
].map((item) => atom(item));

export async function beamProcessPage(rpc: BeamRpc, view: ProcessesView): Promise<ProcessPage> {
  const text = (pid: Pid) => rpc.text(pid);
  const listed = await rpc.call("erlang", "processes", []);
  const pids = Array.isArray(listed) ? listed.filter((p): p is Pid => p instanceof Pid) : [];
  if (!readsEveryProcess(view)) {
    pids.sort(comparePids);
    if (view.descending) pids.reverse();
    const rows = await beamRows(rpc, pids.slice(view.offset, view.offset + view.limit));
    return { total: pids.length, offset: view.offset, rows: rows.map((row) => printed(row, text)), sampled: false };
  }
  const sampled = pids.length > BEAM_READ_CAP;
  const chosen = sampled ? await withRegistered(rpc, sampleOf(pids, BEAM_READ_CAP)) : pids;
  return pageOf(await beamRows(rpc, chosen), view, sampled, text);
}

/** `sample` and the registered processes not in it (`lists:map(fun erlang:whereis/1, erlang:registered())`). */
async function withRegistered(rpc: BeamRpc, sample: Pid[]): Promise<Pid[]> {
  const names = await rpc.call("erlang", "registered", []);
  const registered = await rpc.call("lists", "map", [WHEREIS, Array.isArray(names) ? names : []]);
  const taken = new Set(sample.map((pid) => rpc.text(pid)));
  if (Array.isArray(registered)) {
    for (const pid of registered) if (pid instanceof Pid && !taken.has(rpc.text(pid))) sample.push(pid);
  }
  return sample;
}

/** The rows of those of `pids` still alive, read in one call. */
async function beamRows(rpc: BeamRpc, pids: readonly Pid[]): Promise<Row[]> {
  if (pids.length === 0) return [];
  const infos = await rpc.call("lists", "zipwith", [PROCESS_INFO, [...pids], pids.map(() => ROW_ITEMS)]);
  if (!Array.isArray(infos)) return [];
  const rows: Row[] = [];
  infos.forEach((info, i) => {
    if (!Array.isArray(info)) return; // `undefined`: gone meanwhile
    const items = proplist(info);
    const name = items.get("registered_name");
    rows.push({
      pid: pids[i]!,
      name: name instanceof Atom ? name.name : null,
      currentFunction: mfaText(items.get("current_function") ?? atom("undefined"), rpc.identity),
      status: rpc.text(items.get("status") ?? atom("undefined")),
      memory: numberOf(items.get("memory")) ?? 0,
      messageQueueLen: numberOf(items.get("message_queue_len")) ?? 0,
      reductions: numberOf(items.get("reductions")) ?? 0,
    });
  });
  return rows;
}
