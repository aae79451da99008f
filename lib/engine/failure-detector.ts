// Bound once: under Jest (a vm context) each global `Math` lookup is slow, and phi runs
// for every known node every round.
const { exp, log10, max, sqrt } = Math;

/**
 * Phi accrual failure detector (Hayashibara et al.), one per remote node,
 * fed by heartbeat increases learned from any peer. Inter-arrival times are
 * modelled as a normal distribution, as in the paper and Akka:
 *   phi(t) = -log10(1 - F(t - lastArrival))
 * with F the normal CDF of the observed intervals. Phi 8 means silence of
 * about mean + acceptablePause + 5.6 standard deviations.
 */
/** Intervals learned before the bootstrap allowance stops. */
const BOOTSTRAP_SAMPLES = 3;

export class FailureDetector {
  private readonly samples: number[] = [];
  private next = 0;
  private sum = 0;
  private sumSquares = 0;
  private lastArrival: number;

  /**
   * @param initialInterval assumed mean before any sample
   * @param minStdDev floor of the deviation, so a very regular peer is not
   *   accused after a single late heartbeat
   * @param acceptablePause extra silence always allowed on top of the mean
   * @param maxInterval gaps longer than this (a partition, a pause) are not learned
   * @param bootstrapPause extra silence allowed until a few intervals are
   *   known: a node just learned of is not yet part of every peer's
   *   heartbeat vector, so its first news comes slower
   */
  constructor(
    now: number,
    private readonly initialInterval: number,
    private readonly minStdDev: number,
    private readonly acceptablePause: number,
    private readonly maxInterval: number,
    private readonly bootstrapPause = 0,
    private readonly windowSize = 100,
  ) {
    this.lastArrival = now;
  }

  /** A heartbeat increase arrived. */
  heartbeat(now: number): void {
    const gap = now - this.lastArrival;
    this.lastArrival = max(this.lastArrival, now);
    if (gap <= 0 || gap > this.maxInterval) return;
    if (this.samples.length < this.windowSize) {
      this.samples.push(gap);
    } else {
      const old = this.samples[this.next];
      this.sum -= old;
      this.sumSquares -= old * old;
      this.samples[this.next] = gap;
      this.next = (this.next + 1) % this.windowSize;
    }
    this.sum += gap;
    this.sumSquares += gap * gap;
  }

  get meanInterval(): number {
    return this.samples.length === 0 ? this.initialInterval : this.sum / this.samples.length;
  }

  get stdDev(): number {
    const n = this.samples.length;
    if (n < 2) return this.minStdDev;
    const mean = this.sum / n;
    const variance = max(0, this.sumSquares / n - mean * mean);
    return max(sqrt(variance), this.minStdDev);
  }

  phi(now: number): number {
    const silence = max(0, now - this.lastArrival);
    const pause =
      this.acceptablePause + (this.samples.length < BOOTSTRAP_SAMPLES ? this.bootstrapPause : 0);
    const y = (silence - this.meanInterval - pause) / this.stdDev;
    // Logistic approximation of the normal CDF's tail (Bowling et al. 2009), stable for large y.
    const e = exp(-y * (1.5976 + 0.070566 * y * y));
    if (y > 0) return -log10(e / (1 + e));
    return -log10(1 - 1 / (1 + e));
  }

  /** Time passed that says nothing about the peer (our own process was paused): do not count it. */
  forgive(duration: number): void {
    this.lastArrival += duration;
  }
}
