// Grouping a literal's elements into pieces by their estimated building cost.

/**
 * The first piece gets this fraction of the budget, each next one √2 times as much, up to the whole budget: the
 * main thread may build the first pieces before its decoder is compiled, ten to forty times slower (the benchmark
 * literal's first piece took 13–18 ms cold, 0.3 ms warm).
 */
const FIRST_PIECE_SHARE = 1 / 64;
const RAMP_GROWTH = Math.SQRT2;

/**
 * Collects consecutive elements into pieces of at most `budget` estimated cost (an element never splits), the
 * first few smaller.
 */
export class PieceCutter {
  private readonly pieces: number[] = [];
  private start = 0;
  private end = 0;
  private count = 0;
  private cost = 0;
  /** The budget of the piece being collected. */
  private pieceBudget: number;

  constructor(private readonly budget: number) {
    this.pieceBudget = budget * FIRST_PIECE_SHARE;
  }

  /** The next element: its bytes `[start, end)` and its estimated cost. */
  add(start: number, end: number, cost: number): void {
    if (this.count > 0 && this.cost + cost > this.pieceBudget) this.cut();
    if (this.count === 0) this.start = start;
    this.end = end;
    this.count++;
    this.cost += cost;
  }

  /** The pieces, as `PreparedLiteral.pieces` lays them out. */
  finish(): number[] {
    if (this.count > 0) this.cut();
    return this.pieces;
  }

  private cut(): void {
    this.pieces.push(this.start, this.end, this.count);
    this.count = 0;
    this.cost = 0;
    this.pieceBudget = Math.min(this.budget, this.pieceBudget * RAMP_GROWTH);
  }
}
