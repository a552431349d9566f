// The External Term Format codec: `encode` and `decode`, the wire format of Erlang distribution.
export { type DecodeOptions, decode, decodePrefix } from "./decode.ts";
export { type AtomCacheRefs, type EncodeIovecOptions, type EncodeOptions, encode, encodeIovec } from "./encode.ts";
