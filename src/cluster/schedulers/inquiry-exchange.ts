// How one scheduler asks the node's other schedulers about their processes (its runtime's SchedulerInquiries, and
// Migration.servers()' list of migratable servers) through the rings, and answers what they ask it.
import type { ProcessInfo, Runtime, SchedulerInquiries } from "../../runtime/index.ts";
import type { Pid, Term } from "../../term/types.ts";
import { askOtherSchedulersWith, migratableHere } from "../migratable-servers.ts";
import { Asked, infoOf, infoTerm, type Question, questionOf, questionTerm } from "./inquiries.ts";
import type { RingWriter } from "./ring-writer.ts";

export class InquiryExchange {
  private readonly index: number;
  private readonly count: number;
  private readonly asked = new Asked();

  constructor(
    private readonly runtime: Runtime,
    private readonly writer: RingWriter,
  ) {
    this.index = runtime.seat.index;
    this.count = runtime.seat.count;
    // Migration.servers() on this scheduler lists every scheduler's migratable servers.
    askOtherSchedulersWith(runtime, () => this.pidsOfOthers({ kind: "migratable" }));
  }

  /** How this scheduler's runtime asks the others about their processes (those whose threads have started). */
  readonly inquiries: SchedulerInquiries = {
    processes: () => this.pidsOfOthers({ kind: "processes" }),
    processInfo: async (pids) => {
      const bySchedulers = new Map<number, Pid[]>();
      for (const pid of pids) {
        const j = pid.id % this.count;
        const group = bySchedulers.get(j);
        if (group === undefined) bySchedulers.set(j, [pid]);
        else group.push(pid);
      }
      const found = new Map<Pid, ProcessInfo | undefined>();
      await Promise.all(
        [...bySchedulers].map(async ([j, group]) => {
          const answer = (await this.ask(j, { kind: "process-info", pids: group })) as Term[] | undefined;
          for (const [i, pid] of group.entries()) found.set(pid, answer === undefined ? undefined : infoOf(answer[i]!));
        }),
      );
      return pids.map((pid) => found.get(pid));
    },
  };

  /** Scheduler `from` asked question `id`: the answer goes back up its ring. */
  asks(id: number, question: Term, from: number): void {
    this.writer.write(from, { kind: "answer", id, answer: this.answerTo(questionOf(question)) });
  }

  /** The answer to question `id` this scheduler asked came. */
  answered(id: number, answer: Term): void {
    this.asked.answered(id, answer);
  }

  /** Scheduler `index`'s thread died: the questions asked of it are answered with nothing. */
  lost(index: number): void {
    this.asked.lost(index);
  }

  /** The other schedulers that can be asked now (none before their threads start). */
  private otherIndexes(): number[] {
    if (!this.writer.othersStarted()) return [];
    return Array.from({ length: this.count }, (_, j) => j).filter((j) => j !== this.index);
  }

  /** The lists of pids the other schedulers answer `question` with, one after another (none from one that died). */
  private async pidsOfOthers(question: Question): Promise<Pid[]> {
    const lists = await Promise.all(this.otherIndexes().map((j) => this.ask(j, question)));
    return lists.flatMap((list) => (list as Pid[] | undefined) ?? []);
  }

  private ask(scheduler: number, question: Question): Promise<Term | undefined> {
    if (!this.writer.othersStarted() || scheduler === this.index) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const id = this.asked.ask(scheduler, resolve);
      this.writer.write(scheduler, { kind: "ask", id, question: questionTerm(question) });
    });
  }

  private answerTo(question: Question): Term {
    const runtime = this.runtime;
    if (question.kind === "processes") return runtime.processes();
    if (question.kind === "migratable") return migratableHere(runtime);
    return question.pids.map((pid) => infoTerm(runtime.processInfo(pid)));
  }
}
