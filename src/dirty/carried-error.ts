// How a thrown value crosses a worker's data port: as itself, by structured clone, except a DOMException (an
// AbortError, a DataCloneError), which Node 20's structured clone empties to `{}`: it goes as its name, message and
// stack and is rebuilt on the other side.

/** What the port carries for a thrown value. */
export type CarriedError =
  | { readonly thrown: unknown }
  | { readonly domException: { readonly name: string; readonly message: string; readonly stack: string | undefined } };

/** What to post for `thrown` (which may still fail to clone: a thrown object holding a function). */
export function carriedError(thrown: unknown): CarriedError {
  if (!(thrown instanceof DOMException)) return { thrown };
  return { domException: { name: thrown.name, message: thrown.message, stack: thrown.stack } };
}

/** The thrown value `carried` stands for. */
export function receivedError(carried: CarriedError | undefined): unknown {
  if (carried === undefined) return undefined;
  if ("thrown" in carried) return carried.thrown;
  const { name, message, stack } = carried.domException;
  const rebuilt = new DOMException(message, name);
  if (stack !== undefined) rebuilt.stack = stack;
  return rebuilt;
}

/** `thrown` as text for an error message, whatever it is (String() throws for an object without a prototype). */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  try {
    return String(thrown);
  } catch {
    return `a thrown ${typeof thrown}`;
  }
}
