// Cutting an ES module into segments of the segment protocol (see ../prepared.ts), each a script of a few tens of
// KB that the main thread compiles and runs in a turn of its own, or preparing it whole (one segment) when it
// cannot be cut: one pass of a scanner over the text, no parser.
import { CodeError, ErrorCodes } from "../../errors.ts";
import type { PreparedModule, SegmentScript } from "../prepared.ts";
import { EditedText, type SegmentPlan, segmentScript, wholeScript } from "./emit.ts";
import { LineCursor } from "./lines.ts";
import { NameTable } from "./names.ts";
import { IMPORT_CALL, IMPORT_META } from "./scanner.ts";
import { ScanError } from "./text-scan.ts";
import { BLANK_ITEM, type ModuleSyntax, readModule } from "./top-level.ts";

/** The size a segment is cut at unless told otherwise, in UTF-16 code units of the module's text. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024;

/** The furthest column a segment's text is moved to, with spaces, when it starts inside a line. */
const MAX_INDENT = 1024;

export interface SplitOptions {
  /** The module's file: the name its scripts get in stack traces. */
  readonly filename: string;
  /** Cut a segment before the statement that would take it past this size (a bigger statement is one segment). */
  readonly segmentBytes?: number;
  /** One segment, whatever the module (the preparing worker's way back when a cut segment does not compile). */
  readonly whole?: boolean;
}

/** A prepared module with its segments' scripts as text, not yet compiled. */
export interface SplitModule extends Omit<PreparedModule, "segments"> {
  readonly segments: readonly SegmentScript[];
  /** Whether it was cut by its statements; false when it is one segment because it cannot be (see `reason`). */
  readonly split: boolean;
  /** Why it is one segment, when `split` is false. */
  readonly reason?: string;
}

/**
 * Cuts a module's JavaScript (ES2023, an ES module) into segments. A module it cannot cut (a top-level `let` or
 * `var`, a reassigned function or class, …) is one segment, with the reason. CODE_BAD_MODULE when the text does not
 * read as JavaScript at all (an unterminated string or comment, unbalanced brackets, an import it cannot read).
 */
export function splitModule(source: string, options: SplitOptions): SplitModule {
  const { filename } = options;
  let syntax: ModuleSyntax;
  try {
    syntax = readModule(source);
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    const cursor = new LineCursor(source);
    const where = `line ${cursor.line(error.offset) + 1}, column ${cursor.column(error.offset) + 1}`;
    throw new CodeError(
      ErrorCodes.CODE_BAD_MODULE,
      `${filename} does not read as a module: ${error.message} (${where})`,
    );
  }
  const reason = options.whole ? "prepared whole on request" : (syntax.unsplittable ?? reassigned(syntax));
  const { imports, exports, exportAllFrom } = syntax;
  if (reason !== undefined) {
    const text = new EditedText(source, syntax.edits, false);
    const segment = { source: wholeScript(source, syntax, text), filename, lineOffset: -1 };
    return { segments: [segment], imports, exports, exportAllFrom, split: false, reason };
  }
  const segments = cut(source, syntax, options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, filename);
  return { segments, imports, exports, exportAllFrom, split: true };
}

/** The first function or class declaration the module assigns to, as a reason not to cut it. */
function reassigned(syntax: ModuleSyntax): string | undefined {
  if (syntax.assigned.length === 0) return undefined;
  const table = new NameTable(syntax.assignableNames);
  for (const record of syntax.assigned) {
    const [index] = table.withHash(syntax.identHashes[record]!);
    if (index !== undefined) return `an assignment to the function or class ${syntax.assignableNames[index]}`;
  }
  return undefined;
}

function cut(source: string, syntax: ModuleSyntax, segmentBytes: number, filename: string) {
  const plans = planSegments(source.length, syntax, segmentBytes);
  // Every top-level name, with the segment that declares it (-1: an import, or a name the installer gives).
  const names: string[] = [IMPORT_CALL, IMPORT_META];
  const owners: number[] = [-1, -1];
  for (const { bindings } of syntax.imports) {
    for (const { local } of bindings) {
      names.push(local);
      owners.push(-1);
    }
  }
  plans.forEach((plan, segment) => {
    for (let i = plan.first; i <= plan.last; i++) {
      for (const name of syntax.items[i]!.names) {
        names.push(name);
        owners.push(segment);
      }
    }
  });
  const table = new NameTable(names);
  const text = new EditedText(source, syntax.edits, true);
  const lines = new LineCursor(source);
  return plans.map((plan, segment) => {
    const mentioned = table.mentioned(syntax.identHashes, codeRanges(syntax, plan), owners, segment);
    const linked = mentioned.map((index) => names[index]!);
    const line = lines.line(plan.start);
    // Spaces keep the columns of the segment's first line, within reason (minified code is one long line).
    const column = lines.column(plan.start);
    const script = segmentScript(syntax, plan, linked, text, column <= MAX_INDENT ? column : 0);
    // The script's first line is the wrapper's; its second is the module's line `line`.
    return { source: script, filename, lineOffset: line - 1 };
  });
}

/** The identifier records of a segment's code (its import and export declarations left out), as pairs. */
function codeRanges(syntax: ModuleSyntax, plan: SegmentPlan): number[] {
  const ranges: number[] = [];
  for (let i = plan.first; i <= plan.last; i++) {
    const item = syntax.items[i]!;
    if (item.kind === BLANK_ITEM) continue;
    if (ranges.length > 0 && ranges[ranges.length - 1] === item.identFrom) ranges[ranges.length - 1] = item.identTo;
    else ranges.push(item.identFrom, item.identTo);
  }
  return ranges;
}

/**
 * Which items go in which segment: a segment ends before the item that would take it past `segmentBytes`, unless
 * it has no code yet (imports and exports lists do not count as code: they leave only blanks).
 */
function planSegments(length: number, syntax: ModuleSyntax, segmentBytes: number): SegmentPlan[] {
  const items = syntax.items;
  const plans: SegmentPlan[] = [];
  let first = 0;
  let start = 0;
  let hasCode = false;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (hasCode && item.kind !== BLANK_ITEM && item.end - start > segmentBytes) {
      const end = items[i - 1]!.end;
      plans.push({ first, last: i - 1, start, end });
      first = i;
      start = end;
      hasCode = false;
    }
    if (item.kind !== BLANK_ITEM) hasCode = true;
  }
  plans.push({ first, last: items.length - 1, start, end: length });
  return plans;
}
