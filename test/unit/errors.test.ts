// The error catalog's classes: instanceof along the whole class chain, also for a copy of the class (by name).
import assert from "node:assert/strict";
import { test } from "node:test";
import { EpmdRefusedError } from "../../src/dist/epmd/client.ts";
import { DistError, ErrorCodes, EtfDecodeError, OtterError, TermError } from "../../src/errors.ts";

test("a subclass of a catalog class is an instance of every class above it, and of no sibling", () => {
  const refused = new EpmdRefusedError("taken", 1);
  assert.ok(refused instanceof EpmdRefusedError);
  assert.ok(refused instanceof DistError, "a subclass of DistError is a DistError");
  assert.ok(refused instanceof OtterError);
  assert.ok(!(refused instanceof TermError));
  assert.ok(!(new DistError(ErrorCodes.DIST_EPMD, "x") instanceof EpmdRefusedError));
});

test("a class from another copy of the package matches by name", () => {
  // What a second copy of the package would define: same names, different class objects.
  class DistErrorCopy extends OtterError {}
  Object.defineProperty(DistErrorCopy, "name", { value: "DistError" });
  const fromCopy = new DistErrorCopy(ErrorCodes.DIST_PROTOCOL, "from the other copy");
  assert.ok(fromCopy instanceof DistError);
  assert.ok(!(fromCopy instanceof EtfDecodeError));
  assert.ok(!(new Error("plain") instanceof OtterError));
});
