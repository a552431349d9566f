// Otter's public API: re-exports only.
export * from "./cluster/index.ts";
export * from "./code/index.ts";
export * from "./dirty/index.ts";
export * from "./errors.ts";
export * from "./node/index.ts";
export * from "./observe/index.ts";
export * from "./otp/index.ts";
export * from "./runtime/index.ts";
export * from "./term/index.ts";
