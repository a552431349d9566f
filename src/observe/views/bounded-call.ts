// A read that needs a process (a sys or supervisor call) run in a process of its own with a deadline: past it the
// process is killed and the read fails, so a server that never answers cannot hold up the observer.
import { KILL, type Process, type Runtime } from "../../runtime/index.ts";
import type { Pid } from "../../term/types.ts";

/** What a read that missed its deadline rejects with. */
export class ReadTimeout extends Error {
  override readonly name = "ReadTimeout";
}

/** Runs `body` in a new process of `rt`: resolves as it does, or rejects with ReadTimeout after `timeoutMs`. */
export function boundedCall<T>(
  rt: Runtime,
  timeoutMs: number,
  what: string,
  body: (self: Process) => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (finish: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      finish();
    };
    // Named, so the observer's own readers are recognisable in its processes table.
    const observerRead = async (self: Process): Promise<void> => {
      try {
        const value = await body(self);
        settle(() => resolve(value));
      } catch (error) {
        settle(() => reject(error));
      }
    };
    let pid: Pid;
    try {
      pid = rt.spawn(observerRead);
    } catch (error) {
      settle(() => reject(error)); // the runtime has shut down
      return;
    }
    timer = setTimeout(() => {
      rt.exit(pid, KILL);
      settle(() => reject(new ReadTimeout(`${what}: no answer within ${timeoutMs} ms`)));
    }, timeoutMs);
  });
}
