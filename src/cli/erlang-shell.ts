// A shell on a BEAM node: Erlang expressions scanned, parsed and evaluated there, as OTP's shell does it
// (shell.erl: erl_scan → erl_parse:parse_exprs → erl_eval:exprs), each step an rpc. The bindings live here,
// between inputs, and go with each evaluation; `b()`, `f()` and `f(X)` are the shell's own commands, as in erl.
// An input is complete once it ends with a dot; each dot-terminated form is evaluated in turn.
import { ErpcError, ErrorCodes } from "../errors.ts";
import type { OtterNode } from "../node/index.ts";
import type { Reply } from "../node/shell-session.ts";
import { type Atom, atom } from "../term/atom.ts";
import { format } from "../term/format.ts";
import { chardataText } from "../term/io-lib-format.ts";
import { type Term, Tuple, tuple } from "../term/types.ts";
import { type RemoteShell, remoteCall } from "./remote-shell.ts";

const OK = atom("ok");
const VALUE = atom("value");
const DOT = atom("dot");
const ERL_SCAN = atom("erl_scan");
const STRING = atom("string");

export async function openErlangShell(node: OtterNode, target: Atom): Promise<RemoteShell> {
  const call = (module: string, fn: string, args: Term[]) => remoteCall(node, target, module, fn, args);
  const release = chardataText(await call("erlang", "system_info", [atom("otp_release")]));
  let bindings = await call("erl_eval", "new_bindings", []);
  let count = 1;

  /** One dot-terminated form: its value, or the exception it raised, in the words of the Erlang shell. */
  const evaluateForm = async (tokens: Term[]): Promise<Reply> => {
    const parsed = (await call("erl_parse", "parse_exprs", [tokens])) as Tuple;
    if (parsed.at(0) !== OK) return { kind: "error", printed: "", text: await errorInfo(parsed.at(1) as Tuple) };
    const command = shellCommand(parsed.at(1) as Term[]);
    if (command !== undefined) return command();
    try {
      const answer = (await call("erl_eval", "exprs", [parsed.at(1)!, bindings])) as Tuple;
      if (answer.at(0) !== VALUE) throw new Error(`erl_eval:exprs answered ${format(answer)}`);
      bindings = answer.at(2)!;
      return { kind: "ok", printed: "", text: format(answer.at(1)!) };
    } catch (e) {
      if (!(e instanceof ErpcError) || e.code !== ErrorCodes.ERPC_EXCEPTION) throw e;
      return { kind: "error", printed: "", text: await exceptionText(e) };
    }
  };

  /** `b()`, `f()` and `f(Var)`: the bindings shown or forgotten. */
  const shellCommand = (exprs: Term[]): (() => Promise<Reply>) | undefined => {
    const [expr] = exprs;
    if (exprs.length !== 1 || !(expr instanceof Tuple) || expr.at(0) !== atom("call")) return undefined;
    const [, , fn, args] = expr.elements as [Atom, Term, Tuple, Tuple[]];
    if (!(fn instanceof Tuple) || fn.at(0) !== atom("atom")) return undefined;
    const name = (fn.at(2) as Atom).name;
    if (name === "b" && args.length === 0) {
      return async () => {
        const pairs = (await call("erl_eval", "bindings", [bindings])) as Tuple[];
        const text = pairs.map((p) => `${(p.at(0) as Atom).name} = ${format(p.at(1)!)}\n`).join("");
        return { kind: "ok", printed: text, text: "ok" };
      };
    }
    if (name === "f" && args.length === 0) {
      return async () => {
        bindings = await call("erl_eval", "new_bindings", []);
        return { kind: "ok", printed: "", text: "ok" };
      };
    }
    if (name === "f" && args.length === 1 && args[0]!.at(0) === atom("var")) {
      return async () => {
        bindings = await call("erl_eval", "del_binding", [args[0]!.at(2)!, bindings]);
        return { kind: "ok", printed: "", text: "ok" };
      };
    }
    return undefined;
  };

  /** `* 1:5: syntax error before: '.'`: an ErrorInfo `{Location, Module, Descriptor}` as erl prints it. */
  const errorInfo = async (info: Tuple): Promise<string> => {
    const [where, module, descriptor] = info.elements as [Term, Atom, Term];
    const text = chardataText(await call(module.name, "format_error", [descriptor]));
    const location = where instanceof Tuple ? `${format(where.at(0)!)}:${format(where.at(1)!)}` : format(where);
    return `* ${location}: ${text}`;
  };

  /** `** exception error: no match of right hand side value 2`, without the stack (erl_eval's own frames). */
  const exceptionText = async (e: ErpcError): Promise<string> => {
    const [reason, stack] = e.class === "throw" ? [e.reason as Term, []] : (e.reason as Tuple).elements.slice(1);
    try {
      const text = chardataText(
        await call("erl_error", "format_exception", [atom(e.class), reason!, (stack ?? []) as Term]),
      );
      return `** ${text.split("\n  in ")[0]!.trimEnd()}`;
    } catch {
      return `** exception ${e.class}: ${format(reason!)}`;
    }
  };

  return {
    language: "erlang",
    banner: `Eshell on node ${target.name} (Erlang/OTP ${release}); end each expression with a dot`,
    prompt: () => `(${target.name})${count}> `,
    evaluate: async (source) => {
      const scanned = (await call("erl_scan", "string", [codes(source), tuple(1, 1)])) as Tuple;
      if (scanned.at(0) !== OK) {
        const info = scanned.at(1) as Tuple;
        const descriptor = info.at(2);
        // An open string or quoted atom goes on on the next line.
        if (info.at(1) === ERL_SCAN && descriptor instanceof Tuple && descriptor.at(0) === STRING) {
          return { kind: "incomplete", printed: "", text: "unterminated string" };
        }
        return { kind: "error", printed: "", text: await errorInfo(info) };
      }
      const tokens = scanned.at(1) as Tuple[];
      if (tokens.length === 0 || tokens.at(-1)!.at(0) !== DOT) {
        return { kind: "incomplete", printed: "", text: "an expression ends with a dot" };
      }
      let reply: Reply = { kind: "ok", printed: "", text: "" };
      let printed = "";
      for (let start = 0; start < tokens.length; ) {
        const end = tokens.findIndex((t, i) => i >= start && t.at(0) === DOT) + 1;
        reply = await evaluateForm(tokens.slice(start, end));
        count++;
        printed += reply.printed;
        if (reply.kind === "error") break;
        if (end < tokens.length) printed += `${reply.text}\n`;
        start = end;
      }
      return { ...reply, printed };
    },
    complete: async (line) => {
      // edlin_expand, the Erlang shell's own completion, runs on that node: module and function names there.
      const word = /[\w:@.']*$/.exec(line)![0];
      const [, more, matches] = ((await call("edlin_expand", "expand", [codes([...line].reverse().join(""))])) as Tuple)
        .elements as [Atom, Term, Term[]];
      const extra = chardataText(more);
      if (extra !== "") return { words: [word + extra], prefix: word };
      // The matches are the candidates for what follows the last colon (a function) or for the whole word.
      const before = word.slice(0, word.lastIndexOf(":") + 1);
      const names = matches.map((m) => before + chardataText(m instanceof Tuple ? m.at(0)! : m));
      return { words: [...new Set(names)], prefix: word };
    },
    interrupt: async () => {},
    close: async () => {},
  };
}

/** `text` as an Erlang string: a list of its character codes. */
function codes(text: string): number[] {
  return Array.from(text, (c) => c.codePointAt(0)!);
}
