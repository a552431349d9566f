// EPMD bytes: golden encodings, encode/parse round trips, malformed input refused with DIST_EPMD, request reassembly.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { epmdPort } from "../../../src/dist/epmd/address.ts";
import {
  alive2ResponseLength,
  encodeAlive2Request,
  encodeAlive2Response,
  encodeKillRequest,
  encodeNamesRequest,
  encodeNamesResponse,
  encodePort2Response,
  encodePortPlease2Request,
  MAX_REQUEST_LENGTH,
  type NodeInfo,
  parseAlive2Response,
  parseNamesResponse,
  parsePort2Response,
  parseRequest,
} from "../../../src/dist/epmd/protocol.ts";
import { RequestReader } from "../../../src/dist/epmd/request-reader.ts";
import { DistError } from "../../../src/errors.ts";
import { assertBytes } from "../../support/bytes.ts";

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

/** The body of a framed request, after checking that its length field is right. */
function unframe(framed: Buffer): Buffer {
  assert.equal(framed.readUInt16BE(0), framed.length - 2, "length field");
  return framed.subarray(2);
}

function throwsCode(run: () => unknown, code: string): void {
  assert.throws(run, (error: unknown) => error instanceof DistError && error.code === code);
}

/** ALIVE2_REQ built by hand, as epmd_SUITE builds it: any lengths, any bytes. */
function alive2(options: { name: Buffer | string; extra?: Buffer; nameLength?: number; extraLength?: number }) {
  const name = Buffer.from(options.name);
  const extra = options.extra ?? Buffer.alloc(0);
  const body = Buffer.alloc(13 + name.length + extra.length);
  body[0] = 120;
  body.writeUInt16BE(4747, 1);
  body[3] = 77;
  body.writeUInt16BE(5, 5);
  body.writeUInt16BE(5, 7);
  body.writeUInt16BE(options.nameLength ?? name.length, 9);
  name.copy(body, 11);
  body.writeUInt16BE(options.extraLength ?? extra.length, 11 + name.length);
  extra.copy(body, 13 + name.length);
  return body;
}

const node = (overrides: Partial<NodeInfo> = {}): NodeInfo => ({
  port: 1234,
  nodeType: 77,
  protocol: 0,
  highestVersion: 6,
  lowestVersion: 6,
  name: "foo",
  extra: new Uint8Array(0),
  ...overrides,
});

/** A name epmd takes: 1..255 code points, no NUL (UTF-8 of at most 1,020 bytes follows). */
const arbName = fc
  .array(fc.oneof(fc.constantFrom("a", "é", "😈", "-", "_", " "), fc.string({ unit: "grapheme", maxLength: 1 })), {
    minLength: 1,
    maxLength: 255,
  })
  .map((parts) => [...parts.join("").replaceAll("\0", "x")].slice(0, 255).join(""))
  .filter((name) => name.length > 0);

const arbNode: fc.Arbitrary<NodeInfo> = fc.record(
  {
    port: fc.integer({ min: 0, max: 0xffff }),
    nodeType: fc.integer({ min: 0, max: 255 }),
    protocol: fc.integer({ min: 0, max: 255 }),
    highestVersion: fc.integer({ min: 0, max: 0xffff }),
    lowestVersion: fc.integer({ min: 0, max: 0xffff }),
    name: arbName,
    extra: fc.uint8Array({ maxLength: 1020 }),
  },
  { noNullPrototype: true },
);

describe("golden bytes", () => {
  test("ALIVE2_REQ as OTP 25 sends it", () => {
    assertBytes(encodeAlive2Request(node()), hex("0010 78 04d2 4d 00 0006 0006 0003 666f6f 0000"));
  });

  test("PORT_PLEASE2_REQ, NAMES_REQ, KILL_REQ", () => {
    assertBytes(encodePortPlease2Request("foo"), hex("0004 7a 666f6f"));
    assertBytes(encodeNamesRequest(), hex("0001 6e"));
    assertBytes(encodeKillRequest(), hex("0001 6b"));
  });

  test("ALIVE2_X_RESP and ALIVE2_RESP", () => {
    assertBytes(encodeAlive2Response({ result: 0, creation: 0x6543210f, extended: true }), hex("76 00 6543210f"));
    assertBytes(encodeAlive2Response({ result: 1, creation: 99, extended: false }), hex("79 01 0063"));
  });

  test("PORT2_RESP found and not found", () => {
    const extra = Buffer.from("ABC\0\0");
    assertBytes(
      encodePort2Response(node({ nodeType: 72, highestVersion: 5, lowestVersion: 5, extra })),
      hex("77 00 04d2 48 00 0005 0005 0003 666f6f 0005 4142430000"),
    );
    assertBytes(encodePort2Response(undefined), hex("77 01"));
  });

  test("NAMES answer: the port, then one line per node", () => {
    const bytes = encodeNamesResponse(4369, [
      { name: "b", port: 2 },
      { name: "a", port: 1 },
    ]);
    assertBytes(bytes, Buffer.concat([hex("00001111"), Buffer.from("name b at port 2\nname a at port 1\n")]));
  });
});

describe("round trips", () => {
  test("ALIVE2_REQ", () => {
    fc.assert(
      fc.property(arbNode, (info) => {
        assert.deepEqual(parseRequest(unframe(encodeAlive2Request(info))), { kind: "alive2", node: info });
      }),
    );
  });

  test("PORT_PLEASE2_REQ", () => {
    fc.assert(
      fc.property(arbName, (name) => {
        assert.deepEqual(parseRequest(unframe(encodePortPlease2Request(name))), { kind: "portPlease2", name });
      }),
    );
  });

  test("NAMES_REQ and KILL_REQ", () => {
    assert.deepEqual(parseRequest(unframe(encodeNamesRequest())), { kind: "names" });
    assert.deepEqual(parseRequest(unframe(encodeKillRequest())), { kind: "kill" });
  });

  test("PORT2_RESP", () => {
    fc.assert(fc.property(arbNode, (info) => assert.deepEqual(parsePort2Response(encodePort2Response(info)), info)));
    assert.equal(parsePort2Response(encodePort2Response(undefined)), undefined);
  });

  test("ALIVE2 responses, both sizes", () => {
    const arb = fc.oneof(
      fc.record(
        { result: fc.nat(255), creation: fc.nat(0xffff), extended: fc.constant(false) },
        { noNullPrototype: true },
      ),
      fc.record(
        { result: fc.nat(255), creation: fc.nat(0xffffffff), extended: fc.constant(true) },
        { noNullPrototype: true },
      ),
    );
    fc.assert(
      fc.property(arb, (response) => {
        const bytes = encodeAlive2Response(response);
        assert.equal(alive2ResponseLength(bytes[0]!), bytes.length);
        assert.deepEqual(parseAlive2Response(bytes), response);
      }),
    );
  });

  test("NAMES answer", () => {
    const entry = fc.record(
      {
        name: arbName.filter((name) => !name.includes("\n")),
        port: fc.integer({ min: 0, max: 0xffff }),
      },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.array(entry, { maxLength: 20 }), (epmdPort, names) => {
        assert.deepEqual(parseNamesResponse(encodeNamesResponse(epmdPort, names)), { epmdPort, names });
      }),
    );
  });

  test("a name holding ' at port ' survives NAMES (the port is the last one on the line)", () => {
    const names = [{ name: "x at port 5", port: 7 }];
    assert.deepEqual(parseNamesResponse(encodeNamesResponse(1, names)).names, names);
  });
});

describe("malformed requests", () => {
  test("frames epmd hangs up on throw DIST_EPMD", () => {
    const cases: [string, Buffer][] = [
      ["empty", Buffer.alloc(0)],
      ["unknown tag", Buffer.of(0)],
      ["DUMP_REQ (not served)", Buffer.of(100)],
      ["STOP_REQ (not served)", Buffer.from("sfoo")],
      ["NAMES_REQ with bytes after it", Buffer.of(110, 0)],
      ["alive_req_too_small_1", alive2({ name: "" }).subarray(0, 11)],
      ["alive_req_too_small_2", alive2({ name: "" }).subarray(0, 9)],
      ["ALIVE2_REQ of exactly 13 bytes", alive2({ name: "" })],
      ["name length past the end", alive2({ name: "gurka", nameLength: 6 })],
      ["extra length past the end (buffer_overrun_1)", alive2({ name: "gurka", extraLength: 1 })],
      ["bytes after the extra field", Buffer.concat([alive2({ name: "gurka" }), Buffer.of(0)])],
      ["name_with_null_inside", alive2({ name: "foo\0bar" })],
      ["name_null_terminated", alive2({ name: "foobar\0" })],
      ["PORT_PLEASE2_REQ without a name", Buffer.of(122)],
      ["PORT_PLEASE2_REQ of a lone NUL", Buffer.of(122, 0)],
      ["PORT_PLEASE2_REQ with a NUL inside", Buffer.from("zfo\0o")],
      ["PORT_PLEASE2_REQ not UTF-8", Buffer.of(122, 0xc0, 0x80)],
      ["PORT_PLEASE2_REQ of 256 characters", Buffer.from(`z${"a".repeat(256)}`)],
    ];
    for (const [what, body] of cases) {
      assert.throws(() => parseRequest(body), DistError, what);
    }
  });

  test("a NUL-terminated PORT_PLEASE2_REQ name loses its NUL, as epmd drops it", () => {
    assert.deepEqual(parseRequest(Buffer.from("zfoo\0")), { kind: "portPlease2", name: "foo" });
  });

  test("sound ALIVE2 frames with names or extras epmd refuses are refusals, not errors", () => {
    const cases: [string, Buffer][] = [
      ["alive_req_too_large (600 characters)", alive2({ name: "a".repeat(600) })],
      ["not UTF-8", alive2({ name: Buffer.of(0xff, 0x41) })],
      ["a surrogate in UTF-8", alive2({ name: Buffer.of(0xed, 0xa0, 0x80) })],
      ["over 1,020 bytes of extra (buffer_overrun_2)", alive2({ name: "gurka", extra: Buffer.alloc(1021, 255) })],
      ["empty name with an extra byte", alive2({ name: "", extra: Buffer.of(1) })],
    ];
    for (const [what, body] of cases) {
      const request = parseRequest(body);
      assert.equal(request.kind, "alive2Refused", what);
      assert.equal(request.kind === "alive2Refused" && request.highestVersion, 5, what);
    }
  });

  test("255 four-byte characters (1,020 bytes) are a name epmd takes", () => {
    const name = String.fromCodePoint(0x1f600).repeat(255);
    const request = parseRequest(alive2({ name }));
    assert.equal(request.kind === "alive2" && request.node.name, name);
  });

  test("random bytes parse or throw DIST_EPMD, nothing else", () => {
    const arbBody = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ maxLength: 64 }).map((tail) => Buffer.concat([Buffer.of(120), tail])),
      fc.uint8Array({ maxLength: 64 }).map((tail) => Buffer.concat([Buffer.of(122), tail])),
    );
    fc.assert(
      fc.property(arbBody, (bytes) => {
        try {
          parseRequest(Buffer.from(bytes));
        } catch (error) {
          assert.ok(error instanceof DistError && error.code === "DIST_EPMD", String(error));
        }
      }),
    );
  });
});

describe("encoding refuses what EPMD would", () => {
  test("bad names are DIST_BAD_NAME", () => {
    for (const name of ["", "a\0b", "a".repeat(256), "\ud800"]) {
      throwsCode(() => encodeAlive2Request(node({ name })), "DIST_BAD_NAME");
      throwsCode(() => encodePortPlease2Request(name), "DIST_BAD_NAME");
    }
  });

  test("out-of-range fields are DIST_EPMD", () => {
    throwsCode(() => encodeAlive2Request(node({ port: 65536 })), "DIST_EPMD");
    throwsCode(() => encodeAlive2Request(node({ highestVersion: -1 })), "DIST_EPMD");
    throwsCode(() => encodeAlive2Request(node({ nodeType: 1.5 })), "DIST_EPMD");
    throwsCode(() => encodeAlive2Request(node({ extra: new Uint8Array(1021) })), "DIST_EPMD");
    throwsCode(() => encodeAlive2Response({ result: 0, creation: 65536, extended: false }), "DIST_EPMD");
  });
});

describe("malformed responses", () => {
  test("every cut of a response is refused", () => {
    const whole = [
      encodeAlive2Response({ result: 0, creation: 7, extended: true }),
      encodeAlive2Response({ result: 0, creation: 7, extended: false }),
    ];
    for (const bytes of whole) {
      for (let cut = 0; cut < bytes.length; cut++)
        throwsCode(() => parseAlive2Response(bytes.subarray(0, cut)), "DIST_EPMD");
    }
    const port2 = encodePort2Response(node({ extra: Buffer.from("xy") }));
    for (let cut = 0; cut < port2.length; cut++)
      throwsCode(() => parsePort2Response(port2.subarray(0, cut)), "DIST_EPMD");
    for (let cut = 0; cut < 4; cut++) throwsCode(() => parseNamesResponse(Buffer.alloc(cut)), "DIST_EPMD");
  });

  test("extra bytes, wrong tags, bad text", () => {
    throwsCode(() => parseAlive2Response(hex("76 00 00000001 00")), "DIST_EPMD");
    throwsCode(() => parseAlive2Response(hex("77 00 0001")), "DIST_EPMD");
    throwsCode(() => alive2ResponseLength(0x77), "DIST_EPMD");
    throwsCode(() => parsePort2Response(hex("77 01 00")), "DIST_EPMD");
    throwsCode(() => parsePort2Response(hex("76 01")), "DIST_EPMD");
    throwsCode(() => parsePort2Response(Buffer.concat([encodePort2Response(node()), Buffer.of(0)])), "DIST_EPMD");
    throwsCode(() => parsePort2Response(hex("77 00 04d2 4d 00 0006 0006 0002 c080 0000")), "DIST_EPMD");
    throwsCode(() => parseNamesResponse(Buffer.concat([hex("00001111"), Buffer.of(0xff, 10)])), "DIST_EPMD");
    throwsCode(
      () => parseNamesResponse(Buffer.concat([hex("00001111"), Buffer.from("name a at port 1")])),
      "DIST_EPMD",
    );
  });

  test("NAMES lines that are not entries are skipped, as erl_epmd skips them", () => {
    const text = "name a at port 1\ngarbage\nname b at port 99999\nname  at port\nname c at port 3\n";
    const parsed = parseNamesResponse(Buffer.concat([hex("00001111"), Buffer.from(text)]));
    assert.deepEqual(parsed, {
      epmdPort: 4369,
      names: [
        { name: "a", port: 1 },
        { name: "c", port: 3 },
      ],
    });
  });

  test("random bytes parse or throw DIST_EPMD, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        for (const parse of [parseAlive2Response, parsePort2Response, parseNamesResponse]) {
          try {
            parse(bytes);
          } catch (error) {
            assert.ok(error instanceof DistError && error.code === "DIST_EPMD", String(error));
          }
        }
      }),
    );
  });
});

describe("RequestReader", () => {
  test("a request cut anywhere comes back whole", () => {
    const framed = encodeAlive2Request(node({ name: "bär", extra: Buffer.from("extra") }));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: framed.length - 1 }), { maxLength: 6 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), framed.length];
        const reader = new RequestReader();
        for (let i = 1; i < points.length; i++) {
          const state = reader.push(framed.subarray(points[i - 1], points[i]));
          if (i < points.length - 1) assert.deepEqual(state, { state: "partial" });
          else assert.deepEqual(state, { state: "complete", body: framed.subarray(2) });
        }
      }),
    );
  });

  test("a zero or oversized length is refused from the length field alone", () => {
    assert.equal(new RequestReader().push(hex("0000")).state, "bad");
    assert.equal(new RequestReader().push(hex("f618")).state, "bad");
    const atLimit = Buffer.alloc(2);
    atLimit.writeUInt16BE(MAX_REQUEST_LENGTH + 1);
    const reader = new RequestReader();
    assert.equal(reader.push(atLimit.subarray(0, 1)).state, "partial");
    assert.equal(reader.push(atLimit.subarray(1)).state, "bad");
    atLimit.writeUInt16BE(MAX_REQUEST_LENGTH);
    assert.equal(new RequestReader().push(atLimit).state, "partial");
  });

  test("bytes after the request are refused", () => {
    assert.equal(new RequestReader().push(hex("0001 6e 00")).state, "bad");
    const reader = new RequestReader();
    assert.equal(reader.push(hex("0001 6e")).state, "complete");
    assert.equal(reader.push(hex("00")).state, "bad");
  });
});

describe("EPMD port", () => {
  test("the option, else ERL_EPMD_PORT, else 4369", (t) => {
    const saved = process.env.ERL_EPMD_PORT;
    t.after(() => {
      if (saved === undefined) delete process.env.ERL_EPMD_PORT;
      else process.env.ERL_EPMD_PORT = saved;
    });
    delete process.env.ERL_EPMD_PORT;
    assert.equal(epmdPort(), 4369);
    assert.equal(epmdPort(0), 0);
    process.env.ERL_EPMD_PORT = "4370";
    assert.equal(epmdPort(), 4370);
    assert.equal(epmdPort(5000), 5000);
    for (const bad of ["x", "0", "65536", "12.5", " 1"]) {
      process.env.ERL_EPMD_PORT = bad;
      throwsCode(() => epmdPort(), "DIST_EPMD");
    }
    throwsCode(() => epmdPort(70000), "DIST_EPMD");
  });
});
