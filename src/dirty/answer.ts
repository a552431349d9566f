// What a worker's answer means for its call: the status of its response record, with the value from the ring or
// the data port, becomes the call's result or its typed error.
import { type MessagePort, receiveMessageOnPort } from "node:worker_threads";
import { ErrorCodes } from "../errors.ts";
import type { DirtyCall } from "./call.ts";
import { type CarriedError, describeThrown, receivedError } from "./carried-error.ts";
import { Status, VALUE_ON_PORT } from "./channel.ts";

/**
 * Settles `call` by its answer's `status`: `value` is the result read from the ring (Returned); the other values
 * are the data port's next message, taken from `port`.
 */
export function settleByAnswer(call: DirtyCall, status: number, value: unknown, port: MessagePort): void {
  switch (status) {
    case Status.Returned:
      call.resolve(value);
      return;
    case Status.Returned + VALUE_ON_PORT:
      call.resolve(receiveMessageOnPort(port)?.message);
      return;
    case Status.Threw: {
      const thrown = receiveError(port);
      call.fail(ErrorCodes.DIRTY_CALL_FAILED, `the dirty function threw: ${describeThrown(thrown)}`, thrown);
      return;
    }
    case Status.BadResult: {
      const error = receiveError(port);
      const why = describeThrown(error);
      call.fail(ErrorCodes.DIRTY_BAD_RESULT, `the dirty function's result cannot be carried back: ${why}`, error);
      return;
    }
    case Status.NotLoaded: {
      const error = receiveError(port);
      const why = describeThrown(error);
      call.fail(ErrorCodes.DIRTY_LOAD_FAILED, `the function's module did not load in the worker: ${why}`, error);
      return;
    }
    case Status.Cancelled:
      // Cancelled calls were settled when they were cancelled.
      return;
    default:
      call.fail(ErrorCodes.DIRTY_UNKNOWN_FUNCTION, `no function with id ${call.fnId} is loaded in the worker`);
  }
}

function receiveError(port: MessagePort): unknown {
  return receivedError(receiveMessageOnPort(port)?.message as CarriedError | undefined);
}
