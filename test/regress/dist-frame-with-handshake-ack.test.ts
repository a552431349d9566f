// A peer's first frame that arrives with the end of the handshake (erl sends one right after its ack) reached the
// connection's handlers from inside `new Connection`, before `Distribution.up` held the object: the handler threw,
// the connection closed, and the first ping of a fresh erl node came back pang about one time in three.
import assert from "node:assert/strict";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { test } from "node:test";
import { Connection } from "../../src/dist/connection.ts";
import { advertisedFlags, DFlag } from "../../src/dist/flags.ts";
import type { ControlMessage } from "../../src/dist/wire/control.ts";
import { atom, encode, Pid, tuple } from "../../src/index.ts";

test("a frame in the handshake's leftover bytes reaches the handlers only once startReading is called", async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
  const socket = connect({ host: "127.0.0.1", port: (server.address() as AddressInfo).port });
  t.after(() => socket.destroy());
  const peerSide = await accepted;
  t.after(() => peerSide.destroy());
  socket.pause();

  const body = Buffer.concat([
    Uint8Array.of(112),
    encode(tuple(6, new Pid(atom("peer@127.0.0.1"), 1, 0, 1), atom(""), atom("someone"))),
    encode(atom("hello")),
  ]);
  const frame = Buffer.alloc(4 + body.length);
  frame.writeUInt32BE(body.length);
  body.copy(frame, 4);

  const seen: ControlMessage[] = [];
  let closedBeforeStart = false;
  const connection: Connection = new Connection(
    {
      peer: "peer@127.0.0.1",
      peerCreation: 1,
      flags: advertisedFlags() & ~(DFlag.DIST_HDR_ATOM_CACHE | DFlag.FRAGMENTS),
      socket,
      leftover: frame,
    },
    {},
    {
      received: (message) => {
        assert.ok(connection.open); // the object exists when a message arrives
        seen.push(message);
      },
      closed: () => {
        closedBeforeStart = seen.length === 0;
      },
      unsendable: () => {},
    },
  );
  assert.equal(seen.length, 0);
  connection.startReading();
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.op, "reg_send");
  assert.ok(connection.open);
  assert.equal(closedBeforeStart, false);
  connection.close();
});
