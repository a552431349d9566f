// Writing the scripts of the segment protocol (see ../prepared.ts): a cut segment, whose function declarations stay
// declarations and whose other statements run in step functions, and a module prepared whole, whose text runs in
// one function. The module's text keeps its lines and columns: the wrapper's opening is a line of its own, edits
// keep their text's shape where they can, and what a statement needs before it goes at the end of the line before.
import { type Edit, IMPORT_CALL, IMPORT_META } from "./scanner.ts";
import { DEFAULT_LOCAL, FUNCTION_ITEM, type Item, type ModuleSyntax, STATEMENT_ITEM } from "./top-level.ts";

const SCOPE = "__otter_scope";
const OPEN = `(function (${SCOPE}) {"use strict";`;
/** An anonymous default function is declared as DEFAULT_LOCAL; ES gives it the name "default". */
const NAME_DEFAULT = ` Object.defineProperty(${DEFAULT_LOCAL}, "name", { value: "default" });`;

/** The module's text with its edits applied, copied range by range in increasing order. */
export class EditedText {
  private nextEdit = 0;

  constructor(
    private readonly source: string,
    private readonly edits: readonly Edit[],
    private readonly cut: boolean,
  ) {}

  /** Appends `source[from, to)`, edited, to `parts` (an insertion at `to` is part of it). */
  copy(parts: string[], from: number, to: number): void {
    const { source, edits } = this;
    let pos = from;
    while (this.nextEdit < edits.length) {
      const edit = edits[this.nextEdit]!;
      if (edit.start > to || (edit.start === to && edit.end > to)) break;
      this.nextEdit++;
      if (edit.splitOnly && !this.cut) continue;
      if (edit.start > pos) parts.push(source.slice(pos, edit.start));
      parts.push(edit.text);
      pos = edit.end;
    }
    if (to > pos) parts.push(source.slice(pos, to));
  }
}

/** Items `first` to `last` of the module and the stretch of its text they and the blanks around them cover. */
export interface SegmentPlan {
  readonly first: number;
  readonly last: number;
  readonly start: number;
  readonly end: number;
}

/**
 * A cut segment's script. `linked` are the names of other segments and imports it mentions; `indent` is the
 * column its text starts at (spaces keep the first line's columns).
 */
export function segmentScript(
  syntax: ModuleSyntax,
  plan: SegmentPlan,
  linked: readonly string[],
  text: EditedText,
  indent: number,
): string {
  const items = syntax.items;
  const functions: string[] = [];
  const bindings: string[] = [];
  for (let i = plan.first; i <= plan.last; i++) {
    const item = items[i]!;
    if (item.kind === FUNCTION_ITEM) functions.push(...item.names);
    else if (item.kind === STATEMENT_ITEM) bindings.push(...item.names);
  }
  const parts = [OPEN];
  const declared = [...linked, ...bindings];
  if (declared.length > 0) parts.push(` let ${declared.join(", ")};`);
  if (syntax.anonymousDefaultFunction && functions.includes(DEFAULT_LOCAL)) parts.push(NAME_DEFAULT);
  // The module's text starts on the next line, at its own column; what goes before its first statement stays on
  // the wrapper's line.
  let textStarted = false;
  const copy = (from: number, to: number) => {
    if (!textStarted) parts.push("\n", " ".repeat(indent));
    textStarted = true;
    text.copy(parts, from, to);
  };

  // Each run of statements between function declarations becomes a step function; run() calls them in order.
  const steps: string[] = [];
  let inStep = false;
  let pos = plan.start;
  for (let i = plan.first; i <= plan.last; i++) {
    const item = items[i]!;
    if (item.kind === FUNCTION_ITEM && inStep) {
      parts.push("}");
      inStep = false;
    } else if (item.kind === STATEMENT_ITEM) {
      if (!inStep) {
        const async = stepIsAsync(items, i, plan.last);
        const name = `__otter_step${steps.length}`;
        steps.push(async ? `await ${name}();` : `${name}();`);
        parts.push(async ? `async function ${name}() {` : `function ${name}() {`);
        inStep = true;
      }
      // A `;` first: the statement before may have ended without one.
      parts.push(item.lead === "" ? ";" : item.lead);
    }
    copy(pos, item.end);
    pos = item.end;
  }
  if (inStep) parts.push("}");
  copy(pos, plan.end);

  const async = steps.some((step) => step.startsWith("await"));
  // Functions go into the scope once (a function declaration that is assigned to keeps the module whole).
  parts.push(
    "\nreturn { hoisted() { ",
    stores(functions),
    " }, link() { ",
    linked.map((name) => `${name} = ${SCOPE}.${name};`).join(" "),
    ` }, ${async ? "async " : ""}run() { `,
    steps.join(" "),
    " }, values() { ",
    stores(bindings),
    " } };\n})",
  );
  return parts.join("");
}

/** Statements that write `names` into the shared scope. */
function stores(names: readonly string[]): string {
  return names.map((name) => `${SCOPE}.${name} = ${name};`).join(" ");
}

/** Whether the run of statements from item `from` (up to the next function declaration) awaits at the top level. */
function stepIsAsync(items: readonly Item[], from: number, last: number): boolean {
  for (let i = from; i <= last && items[i]!.kind !== FUNCTION_ITEM; i++) if (items[i]!.async) return true;
  return false;
}

/**
 * The script of a module prepared whole: its text runs as it is in one function, `run()`; its own names stay that
 * function's, and `values()` hands over those it exports. Only the imports are linked.
 */
export function wholeScript(source: string, syntax: ModuleSyntax, text: EditedText): string {
  const imported = new Set<string>();
  for (const { bindings } of syntax.imports) {
    for (const { local } of bindings) if (!local.startsWith("__otter_reexport_")) imported.add(local);
  }
  const linked = [...imported, IMPORT_CALL, IMPORT_META];
  const exported = new Set<string>();
  for (const { local } of syntax.exports)
    if (!imported.has(local) && !local.startsWith("__otter_")) exported.add(local);
  let defaultBinding = false;
  for (const item of syntax.items) {
    if (item.kind === STATEMENT_ITEM && item.names.includes(DEFAULT_LOCAL)) defaultBinding = true;
    if (item.names.includes(DEFAULT_LOCAL)) exported.add(DEFAULT_LOCAL);
  }

  const parts = [
    OPEN,
    ` let ${linked.join(", ")}, __otter_values = () => {}; return { hoisted() {}, link() { `,
    linked.map((name) => `${name} = ${SCOPE}.${name};`).join(" "),
    " }, run() { return __otter_run(); }, values() { return __otter_values(); } }; ",
    syntax.topLevelAwait ? "async function __otter_run() {" : "function __otter_run() {",
    defaultBinding ? ` let ${DEFAULT_LOCAL};` : "",
    syntax.anonymousDefaultFunction ? NAME_DEFAULT : "",
  ];
  let pos = 0;
  let textStarted = false;
  const copy = (to: number) => {
    if (!textStarted) parts.push("\n");
    textStarted = true;
    text.copy(parts, pos, to);
    pos = to;
  };
  let previousEnd = 0;
  for (const item of syntax.items) {
    if (item.lead !== "" && !item.leadSplitOnly) {
      // At the end of the item before (or of the wrapper's line), so that the item's own line keeps its columns.
      if (previousEnd > 0) copy(previousEnd);
      parts.push(item.lead);
    }
    previousEnd = item.end;
  }
  copy(source.length);
  parts.push(`\n__otter_values = () => { ${stores([...exported])} };\n}})`);
  return parts.join("");
}
