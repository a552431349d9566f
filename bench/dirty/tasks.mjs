// The functions `npm run bench -- dirty` runs on worker threads (Otter's dirty pools, piscina, tinypool) and,
// for the baseline, on the main thread: a no-op, and busy work that polls the clock for a given time.

/** Does nothing: a call costs only its hand-off. */
export function noop() {
  return undefined;
}

/** Busy-waits `ns` nanoseconds (as bench/beam/c_src/dirty_nif.c's spin, which polls CLOCK_MONOTONIC). */
export function spin(ns) {
  const end = performance.now() + ns / 1e6;
  let polls = 0;
  while (performance.now() < end) polls++;
  return polls;
}
