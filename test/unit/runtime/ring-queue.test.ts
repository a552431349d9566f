// RingQueue: FIFO order through growth, wrap-around and the release of a large array once the queue is empty.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RingQueue } from "../../../src/runtime/ring-queue.ts";

test("items come out in the order they went in, across growth and wrap-around", () => {
  const queue = new RingQueue<number>();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 7 * round + 3; i++) queue.push(next++);
    for (let i = 0; i < 5 * round + 1; i++) assert.equal(queue.shift(), expected++);
  }
  while (queue.length > 0) assert.equal(queue.shift(), expected++);
  assert.equal(expected, next);
  assert.equal(queue.shift(), undefined);
});

test("a queue that grew large and emptied keeps working", () => {
  const queue = new RingQueue<number>();
  for (let i = 0; i < 10_000; i++) queue.push(i);
  for (let i = 0; i < 10_000; i++) assert.equal(queue.shift(), i);
  assert.equal(queue.length, 0);
  for (let i = 0; i < 100; i++) queue.push(i);
  for (let i = 0; i < 100; i++) assert.equal(queue.shift(), i);
  assert.equal(queue.shift(), undefined);
});
