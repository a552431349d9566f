// net_ticktime for one connection: a tick goes out in every interval (tick time ÷ intensity) in which nothing
// else did, and a peer that sent nothing for `intensity` intervals in a row is down (kernel's net_ticktime and
// net_tickintensity: with the defaults, 60 s and 4, a silent peer is found in 45–75 s).

export interface TickerOptions {
  /** net_ticktime in ms (default 60,000). */
  tickTimeMs?: number;
  /** net_tickintensity (default 4, OTP allows 4..1000). */
  intensity?: number;
}

export const DEFAULT_TICK_TIME_MS = 60_000;
export const DEFAULT_TICK_INTENSITY = 4;

export class Ticker {
  private sentSince = false;
  private receivedSince = false;
  private silentIntervals = 0;
  private readonly timer: NodeJS.Timeout;

  /** Starts ticking: `sendTick` writes a tick, `peerSilent` is called once when the peer has gone quiet. */
  constructor(
    options: TickerOptions,
    private readonly sendTick: () => void,
    private readonly peerSilent: () => void,
  ) {
    const tickTime = options.tickTimeMs ?? DEFAULT_TICK_TIME_MS;
    const intensity = options.intensity ?? DEFAULT_TICK_INTENSITY;
    const interval = Math.max(1, Math.round(tickTime / intensity));
    this.timer = setInterval(() => this.onInterval(intensity), interval);
    this.timer.unref();
  }

  /** Something went out on the connection. */
  sent(): void {
    this.sentSince = true;
  }

  /** Something (a tick included) came in. */
  received(): void {
    this.receivedSince = true;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private onInterval(intensity: number): void {
    if (this.receivedSince) this.silentIntervals = 0;
    else if (++this.silentIntervals >= intensity) {
      this.stop();
      this.peerSilent();
      return;
    }
    this.receivedSince = false;
    if (!this.sentSince) this.sendTick();
    this.sentSince = false;
  }
}
