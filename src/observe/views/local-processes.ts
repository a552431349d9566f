// The processes table of this node, of every scheduler: a page read through `Runtime.nodeProcessInfo`, in slices
// that yield to the event loop, so 100,000 processes never hold it for long; past READ_CAP processes a random sample is read instead, with
// every registered process added to it (so a search by name finds the process whatever the sample).
import type { Runtime } from "../../runtime/index.ts";
import type { Pid } from "../../term/types.ts";
import type { ProcessPage } from "../protocol.ts";
import { type NodeIdentity, termText } from "../term-text.ts";
import { type ProcessesView, pageOf, printed, type Row, readsEveryProcess, sampleOf } from "./process-page.ts";

/** The most processes read for one page that must see them all (a filter, a sort other than by pid), besides the
 * registered ones. */
export const READ_CAP = 20_000;
/** Processes read between two yields to the event loop. */
const SLICE = 1_000;

export async function localProcessPage(rt: Runtime, view: ProcessesView, at: NodeIdentity): Promise<ProcessPage> {
  const text = (pid: Pid) => termText(pid, at);
  const pids = await rt.nodeProcesses();
  if (rt.seat.count > 1) pids.sort((a, b) => a.id - b.id); // each scheduler's come in its slot order
  if (!readsEveryProcess(view)) {
    if (view.descending) pids.reverse();
    const rows = await readRows(rt, pids.slice(view.offset, view.offset + view.limit));
    return { total: pids.length, offset: view.offset, rows: rows.map((row) => printed(row, text)), sampled: false };
  }
  const sampled = pids.length > READ_CAP;
  const chosen = sampled ? withRegistered(rt, sampleOf(pids, READ_CAP)) : pids;
  const rows: Row[] = [];
  for (let start = 0; start < chosen.length; start += SLICE) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    rows.push(...(await readRows(rt, chosen.slice(start, start + SLICE))));
  }
  return pageOf(rows, view, sampled, text);
}

/** `sample` and the registered processes not in it. */
function withRegistered(rt: Runtime, sample: Pid[]): Pid[] {
  const taken = new Set(sample.map((pid) => pid.id));
  for (const name of rt.registered()) {
    const pid = rt.whereis(name);
    if (pid !== undefined && !taken.has(pid.id)) sample.push(pid);
  }
  return sample;
}

/** The rows of those of `pids` still alive. */
async function readRows(rt: Runtime, pids: readonly Pid[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const info of await rt.nodeProcessInfo(pids)) {
    if (info === undefined) continue;
    const { pid } = info;
    rows.push({
      pid,
      name: info.registeredName?.name ?? null,
      currentFunction: info.currentFunction,
      status: info.status,
      memory: info.memory,
      messageQueueLen: info.messageQueueLen,
      reductions: info.reductions,
    });
  }
  return rows;
}
