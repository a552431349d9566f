// Literal data files a module imports (`.etf`, `.json`): checked and cut into pieces in the preparing worker,
// built a piece at a time on the main thread.
export { LiteralBuilder, type LiteralBuilderOptions } from "./builder.ts";
export { type PrepareLiteralOptions, prepareLiteral } from "./prepare.ts";
export type { LiteralShape, PreparedLiteral } from "./prepared-literal.ts";
