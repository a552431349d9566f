// Lines and columns of positions in a module's text, as V8 counts them (\n, \r, \r\n, U+2028 and U+2029 each end a
// line), for positions visited in increasing order.

export class LineCursor {
  private readonly source: string;
  /** Only \n ends lines in this text (the common case: indexOf does the counting). */
  private readonly onlyNewlines: boolean;
  private at = 0;
  private lineNumber = 0;
  private lineStart = 0;

  constructor(source: string) {
    this.source = source;
    this.onlyNewlines = source.indexOf("\r") < 0 && source.indexOf("\u2028") < 0 && source.indexOf("\u2029") < 0;
  }

  /** The 0-based line of `pos` (not before the previous position asked about). */
  line(pos: number): number {
    this.moveTo(pos);
    return this.lineNumber;
  }

  /** The 0-based column of `pos` (not before the previous position asked about). */
  column(pos: number): number {
    this.moveTo(pos);
    return pos - this.lineStart;
  }

  private moveTo(pos: number): void {
    const source = this.source;
    if (this.onlyNewlines) {
      for (let i = source.indexOf("\n", this.at); i >= 0 && i < pos; i = source.indexOf("\n", i + 1)) {
        this.lineNumber++;
        this.lineStart = i + 1;
      }
    } else {
      for (let i = this.at; i < pos; i++) {
        const c = source.charCodeAt(i);
        if (c === 13 && source.charCodeAt(i + 1) === 10) continue; // \r\n: counted at its \n
        if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
          this.lineNumber++;
          this.lineStart = i + 1;
        }
      }
    }
    if (pos > this.at) this.at = pos;
  }
}
