// Node names: a peer's name as the handshake checks it, short vs long hosts, our own name from --sname/--name.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkNodeName, type HostInfo, hostMode, ownNodeName, parseNodeName } from "../../../src/dist/node-name.ts";
import { DistError, ErrorCodes } from "../../../src/errors.ts";

const badName = (error: unknown) => error instanceof DistError && error.code === ErrorCodes.DIST_BAD_NAME;

/** A machine called `hostname` whose name resolves to `address` (or to nothing). */
function machine(hostname: string, address?: string): HostInfo {
  return {
    hostname: () => hostname,
    address: async (host) => {
      if (address === undefined || host !== hostname) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
      return address;
    },
  };
}

describe("parseNodeName (a peer's name, as dist_util's is_node_name)", () => {
  test("splits alive@host", () => {
    assert.deepEqual(parseNodeName("a-1@b"), { alive: "a-1", host: "b", full: "a-1@b" });
    assert.deepEqual(parseNodeName("x@10.0.0.1"), { alive: "x", host: "10.0.0.1", full: "x@10.0.0.1" });
  });

  test("refuses no '@', more than one '@', and empty parts", () => {
    for (const text of ["ab", "a@b@c", "@b", "a@", "@", ""]) assert.throws(() => parseNodeName(text), badName, text);
  });

  test("refuses a name longer than an atom may be", () => {
    assert.throws(() => parseNodeName(`${"a".repeat(250)}@hosts`), badName);
    assert.equal(parseNodeName(`${"a".repeat(249)}@hosts`).alive.length, 249);
  });
});

describe("short and long names", () => {
  test("a host is long when it has a dot or is an IP address", () => {
    assert.equal(hostMode("box"), "short");
    assert.equal(hostMode("box.example.com"), "long");
    assert.equal(hostMode("127.0.0.1"), "long");
    assert.equal(hostMode("::1"), "long");
  });

  test("a node running short names cannot reach a long name, and the other way round", () => {
    assert.equal(checkNodeName("a@box", "short").host, "box");
    assert.equal(checkNodeName("a@box.example.com", "long").host, "box.example.com");
    assert.equal(checkNodeName("a@127.0.0.1", "long").host, "127.0.0.1");
    assert.throws(() => checkNodeName("a@box.example.com", "short"), badName);
    assert.throws(() => checkNodeName("a@127.0.0.1", "short"), badName);
    assert.throws(() => checkNodeName("a@box", "long"), badName);
  });
});

describe("ownNodeName (--sname / --name)", () => {
  test("--sname takes the host name up to its first dot", async () => {
    const own = await ownNodeName({ sname: "foo" }, machine("box.example.com"));
    assert.deepEqual(own, { name: { alive: "foo", host: "box", full: "foo@box" }, mode: "short" });
  });

  test("--name takes the fully qualified host name", async () => {
    const own = await ownNodeName({ name: "foo" }, machine("box.example.com"));
    assert.deepEqual(own, {
      name: { alive: "foo", host: "box.example.com", full: "foo@box.example.com" },
      mode: "long",
    });
  });

  test("--name on a machine without a domain takes the host's address", async () => {
    const own = await ownNodeName({ name: "foo" }, machine("box", "10.1.2.3"));
    assert.equal(own.name.full, "foo@10.1.2.3");
  });

  test("--name fails when the host has neither a domain nor an address", async () => {
    await assert.rejects(ownNodeName({ name: "foo" }, machine("box")), badName);
  });

  test("a given host is kept, and must fit the mode", async () => {
    assert.equal((await ownNodeName({ sname: "foo@other" }, machine("box"))).name.full, "foo@other");
    assert.equal((await ownNodeName({ name: "foo@127.0.0.1" }, machine("box"))).name.full, "foo@127.0.0.1");
    await assert.rejects(ownNodeName({ sname: "foo@other.example.com" }, machine("box")), badName);
    await assert.rejects(ownNodeName({ name: "foo@other" }, machine("box")), badName);
  });

  test("the alive part holds only letters, digits, '_' and '-' (net_kernel's valid_name_head)", async () => {
    assert.equal((await ownNodeName({ sname: "Ab_1-z" }, machine("box"))).name.full, "Ab_1-z@box");
    for (const sname of ["", "a.b", "a b", "ä", "a@b@c", "@box"]) {
      await assert.rejects(ownNodeName({ sname }, machine("box")), badName, sname);
    }
  });

  test("the host holds only '!' to 'ÿ': no spaces, nothing beyond Latin-1", async () => {
    assert.equal((await ownNodeName({ sname: "a@hést" }, machine("box"))).name.host, "hést");
    await assert.rejects(ownNodeName({ sname: "a@hāst" }, machine("box")), badName);
    await assert.rejects(ownNodeName({ sname: "a@h st" }, machine("box")), badName);
  });
});
