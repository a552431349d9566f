// The signal poll (Runtime.setSignalPoll): while processes run, what looks at the rings of the node's other
// schedulers runs between them every few dozen reductions — several times within one event-loop turn, not only
// between turns — and never while the runtime has nothing to run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Runtime } from "../../../src/runtime/index.ts";
import type { Pid } from "../../../src/term/types.ts";

const ROUND_TRIPS = 5_000;

test("polls run between processes, several within one event-loop turn, and stop when nothing runs", async (t) => {
  const rt = new Runtime({ busyWaitUs: 0 });
  let turn = 0; // event-loop turns since the start: a setImmediate chain counts them
  let counting = true;
  const countTurns = () => {
    turn++;
    if (counting) setImmediate(countTurns);
  };
  setImmediate(countTurns);
  t.after(() => {
    counting = false;
    rt.shutdown();
  });
  const pollsInTurn = new Map<number, number>();
  let running = 0; // processes between their first and last step: a poll must not run inside one
  let pollInsideStep = false;
  const poll = () => {
    if (running !== 0) pollInsideStep = true;
    pollsInTurn.set(turn, (pollsInTurn.get(turn) ?? 0) + 1);
  };
  rt.setSignalPoll(poll);
  const echo = rt.spawn(async (self) => {
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const from = (await self.receive()) as Pid;
      running++;
      self.send(from, i);
      running--;
    }
  });
  await rt.run(async (self) => {
    for (let i = 0; i < ROUND_TRIPS; i++) {
      running++;
      self.send(echo, self.pid);
      running--;
      await self.receive();
    }
  });
  const polls = [...pollsInTurn.values()].reduce((sum, n) => sum + n, 0);
  assert.ok(!pollInsideStep, "a poll ran in the middle of a process's step");
  // 10,000 messages, a reduction each at least: a poll every 64 of them or more often.
  assert.ok(polls >= (2 * ROUND_TRIPS) / 64, `${polls} polls`);
  const most = Math.max(...pollsInTurn.values());
  assert.ok(most >= 2, `at most ${most} poll in one event-loop turn: polls only between turns`);

  await new Promise((resolve) => setTimeout(resolve, 50));
  const idlePolls = [...pollsInTurn.values()].reduce((sum, n) => sum + n, 0) - polls;
  assert.equal(idlePolls, 0, "the poll ran while nothing ran");
});
