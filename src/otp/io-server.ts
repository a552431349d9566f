// An I/O server: a process that answers Erlang's I/O protocol (stdlib's "The Erlang I/O Protocol"), writing what
// it is asked to print to a sink. A node's `user` is one; it is the group leader that Erlang code run for this node
// elsewhere (rpc, spawn_request) prints through, so `io:format` there writes here, as between two BEAM nodes.
//
// Request → reply (`{io_request, From, ReplyAs, Request}` → `{io_reply, ReplyAs, Reply}` to From):
//   {put_chars, Encoding, Chars}, {put_chars, Chars}              → ok, Chars written
//   {put_chars, Encoding, io_lib, format|fwrite, [Format, Args]}   → ok, the formatted text written (what
//                                                                     io:format sends); a bad format: {error, format}
//   {put_chars, Encoding, M, F, A} for another M:F                 → {error, request}: no Erlang code runs here
//   {get_chars, …}, {get_line, …}, {get_until, …}                  → eof: there is no input to read
//   getopts                                                        → [{binary, false}, {encoding, unicode}]
//   {setopts, Opts}                                                → ok when Opts are those, else {error, enotsup}
//   {get_geometry, _}                                              → {error, enotsup}
//   {requests, [Request, …]}                                       → each in order, the last reply (or the first error)
//   anything else                                                  → {error, request}
import type { Process, Runtime } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { chardataText, ioLibFormat } from "../term/io-lib-format.ts";
import { Pid, type Term, Tuple, tuple } from "../term/types.ts";

const IO_REQUEST = atom("io_request");
const IO_REPLY = atom("io_reply");
const PUT_CHARS = atom("put_chars");
const GET_CHARS = atom("get_chars");
const GET_LINE = atom("get_line");
const GET_UNTIL = atom("get_until");
const GETOPTS = atom("getopts");
const SETOPTS = atom("setopts");
const REQUESTS = atom("requests");
const IO_LIB = atom("io_lib");
const FORMAT_FUNCTIONS = new Set([atom("format"), atom("fwrite")]);
const LATIN1 = atom("latin1");
const BINARY = atom("binary");
const ENCODING = atom("encoding");
const UNICODE = atom("unicode");
const OK = atom("ok");
const EOF = atom("eof");
const ERROR = atom("error");

const OPTIONS: Term = [tuple(BINARY, false), tuple(ENCODING, UNICODE)];

export interface IoServerOptions {
  /** Where printed text goes (default: this Node.js process's standard output). */
  readonly write?: (text: string) => void;
  /** A name to register the server under (a node's is `user`). */
  readonly name?: Atom;
}

/** Starts an I/O server in `rt`; returns its pid. */
export function startIoServer(rt: Runtime, options: IoServerOptions = {}): Pid {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  return rt.spawn(
    {
      name: "io_server",
      handleMessage(self: Process, message: Term) {
        if (!(message instanceof Tuple) || message.size !== 4 || message.at(0) !== IO_REQUEST) return;
        const from = message.at(1);
        if (from instanceof Pid) self.send(from, tuple(IO_REPLY, message.at(2)!, answer(message.at(3)!, write)));
      },
    },
    { name: options.name },
  );
}

function answer(request: Term, write: (text: string) => void): Term {
  if (request === GETOPTS) return OPTIONS;
  if (!(request instanceof Tuple) || request.size === 0) return tuple(ERROR, atom("request"));
  const op = request.at(0);
  if (op === PUT_CHARS) return putChars(request, write);
  if (op === GET_CHARS || op === GET_LINE || op === GET_UNTIL) return EOF;
  if (op === SETOPTS && request.size === 2) return setopts(request.at(1)!);
  if (op === REQUESTS && request.size === 2 && Array.isArray(request.at(1))) {
    let reply: Term = OK;
    for (const each of request.at(1) as Term[]) {
      reply = answer(each, write);
      if (reply instanceof Tuple && reply.at(0) === ERROR) return reply;
    }
    return reply;
  }
  return tuple(ERROR, request.at(0) === atom("get_geometry") ? atom("enotsup") : atom("request"));
}

function putChars(request: Tuple, write: (text: string) => void): Term {
  // {put_chars, Chars} and {put_chars, M, F, A} are the protocol's old Latin-1 forms.
  const encoding = request.size === 3 || request.size === 5 ? request.at(1) : LATIN1;
  const rest = request.size === 3 || request.size === 5 ? request.elements.slice(2) : request.elements.slice(1);
  try {
    if (rest.length === 1) {
      write(chardataText(rest[0]!, encoding === LATIN1 ? "latin1" : "unicode"));
      return OK;
    }
    const [module, fn, args] = rest as [Term, Term, Term];
    if (module !== IO_LIB || !FORMAT_FUNCTIONS.has(fn as Atom) || !Array.isArray(args) || args.length !== 2) {
      return tuple(ERROR, atom("request"));
    }
    write(ioLibFormat(args[0]!, args[1]!));
    return OK;
  } catch {
    return tuple(ERROR, rest.length === 1 ? atom("put_chars") : atom("format"));
  }
}

function setopts(options: Term): Term {
  if (!Array.isArray(options)) return tuple(ERROR, atom("enotsup"));
  const supported = options.every(
    (o) =>
      o === atom("list") ||
      (o instanceof Tuple &&
        o.size === 2 &&
        ((o.at(0) === BINARY && o.at(1) === false) || (o.at(0) === ENCODING && o.at(1) === UNICODE))),
  );
  return supported ? OK : tuple(ERROR, atom("enotsup"));
}
