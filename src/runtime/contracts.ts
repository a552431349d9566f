// The interfaces other layers plug into the runtime through: the remote signal transport and the clock.
// (Log handlers plug into the logger: see logger.ts.)
//
// The runtime never imports the distribution layer (DESIGN.md, "Layers"): a pid whose node is not ours is
// handed to a `SignalTransport`, which `dist/` implements and `node/` installs. Inbound, the transport
// calls `SignalSink.deliver` with the same `Signal` shapes. Ordering contract: signals from one process to
// another arrive in the order they were sent, so a transport must keep per-pair FIFO order.
import type { Atom } from "../term/atom.ts";
import type { Pid, Ref, Term } from "../term/types.ts";

/** A process addressed by registered name on a node: `{Name, Node}` in Erlang. */
export interface RegisteredName {
  readonly name: Atom;
  readonly node: Atom;
}

/**
 * Every signal that can pass between two processes (the Erlang reference manual, "Processes", "Signals").
 * `exit` with `link: true` is the signal a terminating process sends its links; without, it is `exit/2`.
 */
export type Signal =
  | { readonly kind: "message"; readonly from: Pid; readonly to: Pid | RegisteredName; readonly message: Term }
  | { readonly kind: "alias-message"; readonly from: Pid; readonly to: Ref; readonly message: Term }
  | { readonly kind: "exit"; readonly from: Pid; readonly to: Pid; readonly reason: Term; readonly link: boolean }
  | { readonly kind: "link"; readonly from: Pid; readonly to: Pid }
  | { readonly kind: "unlink"; readonly from: Pid; readonly to: Pid }
  | { readonly kind: "monitor"; readonly from: Pid; readonly to: Pid | RegisteredName; readonly ref: Ref }
  | { readonly kind: "demonitor"; readonly from: Pid; readonly to: Pid | RegisteredName; readonly ref: Ref }
  | {
      readonly kind: "down";
      readonly from: Pid | RegisteredName;
      readonly to: Pid;
      readonly ref: Ref;
      readonly reason: Term;
    };

/** What a transport calls to hand the runtime a signal that arrived from another node, or a lost node. */
export interface SignalSink {
  /** Delivers one inbound signal; its `to` is a process of this node. */
  deliver(signal: Signal): void;
  /**
   * The connection to `node` is gone (or could not be made): every link to a process there fires an exit
   * signal and every monitor a DOWN message, both with `reason` (`noconnection` in Erlang).
   */
  nodeDown(node: Atom, reason: Term): void;
}

/** Carries signals to processes of other nodes. `dist/` implements it; the runtime owns one. */
export interface SignalTransport {
  /** Sends one signal whose `to` lives on another node; may connect first. Never throws for a lost peer. */
  send(signal: Signal): void;
  /** The nodes connected now (erlang:nodes/0); none when the transport does not say. */
  nodes?(): Atom[];
}

/**
 * Time as the runtime sees it: a monotonic clock in milliseconds and one-shot alarms. The real clock uses
 * `performance.now()` and `setTimeout`; `otter/testing`'s ManualClock moves only when a test says so.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (fractions allowed). */
  now(): number;
  /** Calls `fire` once, at or after time `at` (same scale as `now`); returns a handle for `clearAlarm`. */
  setAlarm(at: number, fire: () => void): unknown;
  /** Cancels an alarm that has not fired; a no-op for one that has. */
  clearAlarm(handle: unknown): void;
  /**
   * Whether a pending alarm keeps the host alive (Node's ref/unref). The timer wheel leaves its alarm armed when
   * its last timer is cancelled (re-arming a Node timer for every call's timeout costs a fifth of a call), so it
   * lets go of the event loop meanwhile. Optional: a clock without it (a test clock) holds nothing open.
   */
  keepAlive?(handle: unknown, keep: boolean): void;
  /**
   * Whether a timer may take its start from a clock read a microtask after it was set, one read for every timer
   * set meanwhile (it fires no earlier, and microseconds later). True for the system clock, where a read costs
   * about 50 ns; unset for a test clock, where a timer counts from the instant it was set whatever the test does.
   */
  readonly batchReads?: boolean;
}
