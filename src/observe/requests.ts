// Reading what a page sends (protocol.ts's ClientMessage) from untrusted JSON: every field checked, anything else
// a BadRequest that the session answers with an error, the connection and the node running on.
import type { Action, ClientMessage, ProcessSortKey, View } from "./protocol.ts";

/** A client message or view that is not what the protocol says; its message goes back to the page. */
export class BadRequest extends Error {
  override readonly name = "BadRequest";
}

/** The most rows one processes page may ask for. */
export const MAX_PAGE_ROWS = 500;
/** The longest filter, pid or term text taken (a page has no reason to send more). */
const MAX_TEXT = 10_000;

const SORT_KEYS: ReadonlySet<string> = new Set<ProcessSortKey>([
  "pid",
  "name",
  "currentFunction",
  "memory",
  "messageQueueLen",
  "reductions",
]);

/** Parses one WebSocket message. */
export function parseClientMessage(data: string): ClientMessage {
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    throw new BadRequest("a message must be JSON");
  }
  const m = record(message, "message");
  if (m.type === "watch") {
    if (m.id !== undefined && !(typeof m.id === "number" && Number.isSafeInteger(m.id))) {
      throw new BadRequest("a watch's id is an integer");
    }
    return { type: "watch", node: text(m.node, "node"), view: parseView(m.view), id: m.id };
  }
  if (m.type === "act") {
    const id = m.id;
    if (typeof id !== "number" || !Number.isSafeInteger(id)) throw new BadRequest("an act needs an integer id");
    return { type: "act", id, node: text(m.node, "node"), action: parseAction(m.action) };
  }
  throw new BadRequest(`unknown message type ${JSON.stringify(m.type)}`);
}

/** Checks a view (also what another node's observer module is asked for). */
export function parseView(value: unknown): View {
  const v = record(value, "view");
  switch (v.kind) {
    case "overview":
    case "applications":
    case "distribution":
    case "code":
      return { kind: v.kind };
    case "process":
      return { kind: "process", pid: text(v.pid, "pid") };
    case "processes": {
      const sort = v.sort ?? "pid";
      if (typeof sort !== "string" || !SORT_KEYS.has(sort)) throw new BadRequest(`cannot sort by ${String(sort)}`);
      const offset = v.offset ?? 0;
      if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
        throw new BadRequest("offset must be an integer ≥ 0");
      }
      const limit = v.limit ?? 100;
      if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 1) {
        throw new BadRequest("limit must be an integer ≥ 1");
      }
      return {
        kind: "processes",
        sort: sort as ProcessSortKey,
        descending: v.descending === true,
        filter: v.filter === undefined ? "" : text(v.filter, "filter", true),
        offset,
        limit: Math.min(limit, MAX_PAGE_ROWS),
      };
    }
    default:
      throw new BadRequest(`unknown view ${JSON.stringify(v.kind)}`);
  }
}

function parseAction(value: unknown): Action {
  const a = record(value, "action");
  if (a.kind === "kill") {
    const pid = text(a.pid, "pid");
    return a.reason === undefined ? { kind: "kill", pid } : { kind: "kill", pid, reason: text(a.reason, "reason") };
  }
  if (a.kind === "send") return { kind: "send", pid: text(a.pid, "pid"), message: text(a.message, "message") };
  throw new BadRequest(`unknown action ${JSON.stringify(a.kind)}`);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new BadRequest(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function text(value: unknown, what: string, emptyAllowed = false): string {
  if (typeof value !== "string" || (!emptyAllowed && value.trim() === "")) {
    throw new BadRequest(`${what} must be a${emptyAllowed ? "" : " non-empty"} string`);
  }
  if (value.length > MAX_TEXT) throw new BadRequest(`${what} is too long`);
  return value;
}
