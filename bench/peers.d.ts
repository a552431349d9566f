// Minimal types for the untyped npm peer `erlang_js` (bench-only), as far as bench/etf uses it.

declare module "erlang_js" {
  /** What erlang_js encodes: JS arrays are tuples, strings are STRING_EXT lists, null is `undefined`. */
  export type ErlangJsTerm =
    | number
    | string
    | boolean
    | null
    | ErlangJsTerm[]
    | Erlang.OtpErlangAtom
    | Erlang.OtpErlangBinary
    | Erlang.OtpErlangList
    | Erlang.OtpErlangMap;

  /** erlang_js reports through a callback; without compression it is called before the call returns. */
  export type ErlangJsCallback<T> = (err: Error | undefined, value: T | undefined) => void;

  export namespace Erlang {
    class OtpErlangAtom {
      constructor(value: string, utf8?: boolean);
      value: string | number;
      utf8: boolean;
    }
    class OtpErlangBinary {
      constructor(value: Buffer | string, bits?: number);
      value: Buffer | string;
      bits: number;
    }
    class OtpErlangList {
      constructor(value: ErlangJsTerm[], improper?: boolean);
      value: ErlangJsTerm[];
    }
    class OtpErlangMap {
      constructor(value: Map<ErlangJsTerm, ErlangJsTerm>);
      value: Map<ErlangJsTerm, ErlangJsTerm>;
    }
    function term_to_binary(term: ErlangJsTerm, callback: ErlangJsCallback<Buffer>): void;
    function binary_to_term(data: Buffer, callback: ErlangJsCallback<ErlangJsTerm>): void;
  }
}
