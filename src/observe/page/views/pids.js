// Pids on the page: Erlang-syntax pids as links to their detail view, wherever a value shows one.

const PID = /^<\d+\.\d+\.\d+>$/;

export function isPid(text) {
  return typeof text === "string" && PID.test(text);
}

/** The hash of a process's detail view. */
export function processHash(pid) {
  return `#process/${encodeURIComponent(pid)}`;
}

/** A link to `pid`'s detail view. */
export function pidLink(pid) {
  const link = document.createElement("a");
  link.href = processHash(pid);
  link.className = "pid";
  link.dataset.testid = "pid-link";
  link.textContent = pid;
  return link;
}
