// The observer's WebSocket: connects to /ws, reconnects with backoff when it drops, and pairs actions with answers.

const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 10_000;

/**
 * `onMessage(message)` gets every server message but the answers to actions; `onState(state, detail)` hears
 * "connecting", "open" and "retrying" (detail: the delay in ms before the next attempt).
 */
export class ObserverSocket {
  constructor({ onMessage, onState }) {
    this.onMessage = onMessage;
    this.onState = onState;
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    this.attempts = 0;
    this.nextActionId = 1;
    this.pendingActions = new Map();
    this.socket = null;
  }

  connect() {
    this.onState("connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempts = 0;
      this.onState("open");
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.failPendingActions("the connection to the node's observer was lost");
      this.retryLater();
    });
  }

  /** Sends `message` when connected; false when not (the hello after the reconnect brings the page up to date). */
  send(message) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Asks `node` to carry out `action`; resolves with `{ ok: true }` or `{ ok: false, error }`. */
  act(node, action) {
    const id = this.nextActionId++;
    if (!this.send({ type: "act", id, node, action })) {
      return Promise.resolve({ ok: false, error: "not connected to the node's observer" });
    }
    return new Promise((resolve) => this.pendingActions.set(id, resolve));
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      console.warn("observer: a message that is not JSON", text);
      return;
    }
    if (message.type === "acted") {
      const resolve = this.pendingActions.get(message.id);
      this.pendingActions.delete(message.id);
      resolve?.(message.ok ? { ok: true } : { ok: false, error: message.error });
      return;
    }
    this.onMessage(message);
  }

  failPendingActions(error) {
    for (const resolve of this.pendingActions.values()) resolve({ ok: false, error });
    this.pendingActions.clear();
  }

  /** Exponential backoff with jitter, so many pages do not all return at the same instant after a restart. */
  retryLater() {
    const base = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.attempts);
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempts++;
    this.onState("retrying", delay);
    setTimeout(() => this.connect(), delay);
  }
}
