// What one scheduler asks the others about their processes (erlang:processes/0 and process_info/2 are the node's,
// while each scheduler's runtime sees only its own): the questions and answers as terms for a ring record, and the
// questions waiting for their answer, which a scheduler's death answers with nothing.
import type { ProcessInfo, RegisteredName } from "../../runtime/index.ts";
import { type Atom, atom } from "../../term/atom.ts";
import { Pid, type Term, Tuple, tuple } from "../../term/types.ts";

const PROCESSES = atom("processes");
const PROCESS_INFO = atom("process_info");
const MIGRATABLE = atom("migratable");
const UNDEFINED = atom("undefined");

/** Its processes, snapshots of some of them, or its migratable servers (migratable-servers.ts); each a list. */
export type Question =
  | { readonly kind: "processes" }
  | { readonly kind: "process-info"; readonly pids: Pid[] }
  | { readonly kind: "migratable" };

export function questionTerm(question: Question): Term {
  if (question.kind === "process-info") return tuple(PROCESS_INFO, question.pids);
  return tuple(question.kind === "processes" ? PROCESSES : MIGRATABLE);
}

export function questionOf(term: Term): Question {
  const t = term as Tuple;
  if (t.at(0) === PROCESS_INFO) return { kind: "process-info", pids: t.at(1) as Pid[] };
  return { kind: t.at(0) === PROCESSES ? "processes" : "migratable" };
}

/** A ProcessInfo as a term: a tuple of its fields in a fixed order (both ends are this code). */
export function infoTerm(info: ProcessInfo | undefined): Term {
  if (info === undefined) return UNDEFINED;
  const name = (n: Atom | undefined): Term => n ?? [];
  const subject = (s: Pid | RegisteredName): Term => (s instanceof Pid ? s : tuple(s.name, s.node));
  return tuple(
    info.pid,
    atom(info.status),
    info.messageQueueLen,
    info.links,
    info.monitors.map(subject),
    info.monitoredBy,
    info.memory,
    info.reductions,
    name(info.registeredName),
    info.currentFunction,
    info.trapExit,
    atom(info.priority),
    info.groupLeader ?? [],
    tuple(info.dirty.waiting, info.dirty.inline, info.dirty.dirty),
  );
}

export function infoOf(term: Term): ProcessInfo | undefined {
  if (!(term instanceof Tuple)) return undefined;
  const f = term.elements;
  const dirty = (f[13] as Tuple).elements as number[];
  const text = (t: Term) => (typeof t === "string" ? t : Buffer.from(t as Uint8Array).toString());
  return {
    pid: f[0] as Pid,
    status: (f[1] as Atom).name as ProcessInfo["status"],
    messageQueueLen: f[2] as number,
    links: f[3] as Pid[],
    monitors: (f[4] as Term[]).map((s) =>
      s instanceof Pid ? s : { name: (s as Tuple).at(0) as Atom, node: (s as Tuple).at(1) as Atom },
    ),
    monitoredBy: f[5] as Pid[],
    memory: f[6] as number,
    reductions: f[7] as number,
    registeredName: Array.isArray(f[8]) ? undefined : (f[8] as Atom),
    currentFunction: text(f[9]!),
    trapExit: f[10] === true,
    priority: (f[11] as Atom).name as ProcessInfo["priority"],
    groupLeader: f[12] instanceof Pid ? f[12] : undefined,
    dirty: { waiting: dirty[0]!, inline: dirty[1]!, dirty: dirty[2]! },
  };
}

/** The questions this scheduler asked and awaits the answer of, by id, with the scheduler asked. */
export class Asked {
  private lastId = 0;
  private readonly waiting = new Map<number, { scheduler: number; answer: (term: Term | undefined) => void }>();

  /** A new question's id; `answer` gets the answer's term, or undefined if the scheduler asked died first. */
  ask(scheduler: number, answer: (term: Term | undefined) => void): number {
    const id = ++this.lastId;
    this.waiting.set(id, { scheduler, answer });
    return id;
  }

  answered(id: number, term: Term): void {
    const question = this.waiting.get(id);
    this.waiting.delete(id);
    question?.answer(term);
  }

  /** Scheduler `index`'s thread died: its questions are answered with nothing. */
  lost(index: number): void {
    for (const [id, question] of this.waiting) {
      if (question.scheduler !== index) continue;
      this.waiting.delete(id);
      question.answer(undefined);
    }
  }
}
