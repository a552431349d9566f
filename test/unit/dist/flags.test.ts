// Capability flags: dist.h's values, OTP's mandatory sets, the 25 digest bit, the set Otter offers.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  advertisedFlags,
  DFlag,
  expandMandatory25,
  flagNames,
  MANDATORY,
  MANDATORY_25,
  MANDATORY_26,
  missingMandatory,
  negotiatedFlags,
} from "../../../src/dist/flags.ts";

describe("flag values", () => {
  test("match dist.h, with MANDATORY_25_DIGEST at bit 26 (not the documented 1 bsl 36)", () => {
    assert.equal(DFlag.PUBLISHED, 0x1n);
    assert.equal(DFlag.UTF8_ATOMS, 0x10000n);
    assert.equal(DFlag.HANDSHAKE_23, 0x1000000n);
    assert.equal(DFlag.UNLINK_ID, 0x2000000n);
    assert.equal(DFlag.MANDATORY_25_DIGEST, 0x4000000n);
    assert.equal(DFlag.SPAWN, 1n << 32n);
    assert.equal(DFlag.V4_NC, 1n << 34n);
    assert.equal(DFlag.ALTACT_SIG, 1n << 37n);
  });

  test("the mandatory sets are OTP's: 25 is erts_internal:get_dflags()'s mandatory on OTP 25, 26 adds V4_NC and UNLINK_ID", () => {
    assert.equal(MANDATORY_25, 0x1070f94n);
    assert.equal(MANDATORY_26, (1n << 34n) | 0x2000000n);
    assert.equal(MANDATORY, MANDATORY_25 | MANDATORY_26);
  });

  test("Otter offers OTP 25's preferred set (0xD07DF7FBC) plus PUBLISHED, and no PUBLISHED when hidden", () => {
    assert.equal(advertisedFlags(), 0xd07df7fbcn | DFlag.PUBLISHED);
    assert.equal(advertisedFlags({ hidden: true }), 0xd07df7fbcn);
    assert.equal(advertisedFlags() & DFlag.ALTACT_SIG, 0n);
  });
});

describe("the 25 digest", () => {
  test("a peer sending MANDATORY_25_DIGEST is taken to have the whole OTP 25 set", () => {
    assert.equal(expandMandatory25(DFlag.MANDATORY_25_DIGEST), DFlag.MANDATORY_25_DIGEST | MANDATORY_25);
    assert.equal(expandMandatory25(DFlag.PUBLISHED), DFlag.PUBLISHED);
    assert.deepEqual(missingMandatory(DFlag.MANDATORY_25_DIGEST | MANDATORY_26), []);
  });

  test("negotiated flags are the intersection, each side expanded", () => {
    const theirs = DFlag.MANDATORY_25_DIGEST | MANDATORY_26 | DFlag.DIST_MONITOR;
    assert.equal(
      negotiatedFlags(advertisedFlags(), theirs),
      MANDATORY | DFlag.MANDATORY_25_DIGEST | DFlag.DIST_MONITOR,
    );
  });
});

describe("missingMandatory", () => {
  test("names every mandatory flag a peer with no flags lacks, highest bit first as OTP logs them", () => {
    assert.deepEqual(missingMandatory(0n), [
      "V4_NC",
      "UNLINK_ID",
      "HANDSHAKE_23",
      "BIG_CREATION",
      "MAP_TAG",
      "UTF8_ATOMS",
      "NEW_FLOATS",
      "BIT_BINARIES",
      "EXPORT_PTR_TAG",
      "EXTENDED_PIDS_PORTS",
      "NEW_FUN_TAGS",
      "FUN_TAGS",
      "EXTENDED_REFERENCES",
    ]);
  });

  test("an OTP 25-only peer lacks the 26 flags; a set given as mandatory is checked instead", () => {
    assert.deepEqual(missingMandatory(DFlag.MANDATORY_25_DIGEST), ["V4_NC", "UNLINK_ID"]);
    assert.deepEqual(missingMandatory(DFlag.MANDATORY_25_DIGEST, MANDATORY_25), []);
    assert.deepEqual(missingMandatory(advertisedFlags()), []);
  });
});

test("flagNames names known bits and prints unknown ones as OTP does", () => {
  assert.deepEqual(flagNames(DFlag.PUBLISHED | DFlag.SPAWN), ["PUBLISHED", "SPAWN"]);
  assert.deepEqual(flagNames(1n << 40n), ["UNKNOWN<10000000000>"]);
  assert.deepEqual(flagNames(0n), []);
});
