// The rebalancer's decision, as pure functions of the loads it saw: how wide the gap between the busiest place
// and the least loaded one is, and which servers move from where to where this round (the policy is explained in
// rebalancer.ts's header). No clock, no processes: the rebalancer feeds it, tests check it exactly.

/** A place servers run in — a scheduler of this node, or a cluster member — as one round sees it. */
export interface PlaceLoad<Place> {
  readonly place: Place;
  /**
   * Its load on one scale for every place (load-report.ts's nodeScore: run queue + UTILISATION_WEIGHT ×
   * utilisation, averaged over its schedulers).
   */
  readonly score: number;
  /** How many schedulers share its load (1 for a scheduler): a server's load moves its score by load / capacity. */
  readonly capacity: number;
  /** Servers may leave it (this node's places; a member's servers are its own rebalancer's to move). */
  readonly source: boolean;
}

/** A server that may move this round (not cooling down, not moving already), and where it runs. */
export interface Candidate<Place> {
  readonly id: string;
  readonly place: Place;
  /** Its work since the rebalancer last looked: reductions, plus what waits in its queue. */
  readonly activity: number;
}

export interface PlannedMove<Place> {
  readonly id: string;
  readonly from: Place;
  readonly to: Place;
  /** The projected scores before this move, for the log's `why`. */
  readonly fromScore: number;
  readonly toScore: number;
}

export interface PlanSettings {
  /** A gap wider than this starts moves; moves go on while the projected gap stays wider than half of it. */
  readonly threshold: number;
  /** At most this many moves in one round. */
  readonly maxMoves: number;
}

/** The busiest place servers may leave (`canGive`), the least loaded other one, and the gap between their scores. */
export function widestGap<Place>(
  places: readonly PlaceLoad<Place>[],
  canGive: (place: Place) => boolean = () => true,
): { source: PlaceLoad<Place>; target: PlaceLoad<Place>; gap: number } | undefined {
  let source: PlaceLoad<Place> | undefined;
  for (const p of places) {
    if (p.source && canGive(p.place) && (source === undefined || p.score > source.score)) source = p;
  }
  if (source === undefined) return undefined;
  let target: PlaceLoad<Place> | undefined;
  for (const p of places) if (p !== source && (target === undefined || p.score < target.score)) target = p;
  return target === undefined ? undefined : { source, target, gap: source.score - target.score };
}

/**
 * The moves of one round, once the gap has stayed wider than the threshold long enough (the caller counts that).
 * Each move takes the busiest candidate of the busiest source to the least loaded place, and projects the scores
 * as if the move were done: a server's load is taken as its place's whole load shared equally among the place's
 * busy candidates (an upper bound on what one move shifts, since the place's other processes carry some of it).
 * A move is made only if the target would still be no busier than the source after it: a server never moves to
 * where it would make the reverse move look right, which is what would make it ping-pong. Idle candidates
 * (activity 0) never move: moving them relieves nothing and costs their callers a pause.
 */
export function planMoves<Place>(
  places: readonly PlaceLoad<Place>[],
  candidates: readonly Candidate<Place>[],
  settings: PlanSettings,
): PlannedMove<Place>[] {
  const projected: { -readonly [K in keyof PlaceLoad<Place>]: PlaceLoad<Place>[K] }[] = places.map((p) => ({ ...p }));
  const left = candidates.filter((c) => c.activity > 0).sort(busiestFirst);
  const moves: PlannedMove<Place>[] = [];
  while (moves.length < settings.maxMoves) {
    const widest = widestGap(projected, (place) => left.some((c) => c.place === place));
    const floor = moves.length === 0 ? settings.threshold : settings.threshold / 2;
    if (widest === undefined || widest.gap <= floor) break;
    const source = widest.source as (typeof projected)[number];
    const target = widest.target as (typeof projected)[number];
    const here = left.filter((c) => c.place === source.place);
    const load = (source.score * source.capacity) / here.length;
    const fromAfter = source.score - load / source.capacity;
    const toAfter = target.score + load / target.capacity;
    if (toAfter > fromAfter) break;
    const chosen = here[0]!;
    left.splice(left.indexOf(chosen), 1);
    moves.push({ id: chosen.id, from: source.place, to: target.place, fromScore: source.score, toScore: target.score });
    source.score = fromAfter;
    target.score = toAfter;
  }
  return moves;
}

/** The highest activity first. */
function busiestFirst<Place>(a: Candidate<Place>, b: Candidate<Place>): number {
  return b.activity - a.activity;
}
