// Bound once: under Jest (a vm context) each global `Math` lookup is slow.
const { ceil, log10, max, min, sqrt } = Math;

import { DEFAULT_PROBE_TUNING, type ProbeTuning } from '../vocabulary/tuning';

export type { ProbeTuning } from '../vocabulary/tuning';

/**
 * A moving estimate of how often pings go unanswered, with a cautious upper
 * bound. One per link, and one per node over all its links: when loss
 * starts everywhere at once (our own network), the node-wide estimate learns
 * it k times faster than each link alone, and every link waits longer.
 */
export class MissRate {
  private rate: number;

  constructor(
    private readonly tuning: ProbeTuning,
    initial = tuning.initialMissRate,
    private readonly weight = tuning.learningRate,
  ) {
    this.rate = initial;
  }

  get value(): number {
    return this.rate;
  }

  learn(outcome: 0 | 1): void {
    this.rate += this.weight * (outcome - this.rate);
  }

  /** The estimate plus `caution` standard errors of an exponential moving average. */
  cautious(): number {
    const t = this.tuning;
    const spread = sqrt((this.rate * (1 - this.rate) * t.learningRate) / (2 - t.learningRate));
    return min(t.maxMissRate, max(t.minMissRate, this.rate + t.caution * spread));
  }
}

/**
 * One observer's view of one subject it pings every probe period. The
 * subject answers each ping with an ack; a ping still unanswered at the next
 * tick is a miss. The detector learns how often pings go unanswered while the
 * subject lives (loss on the path, both ways), and suspects the subject when
 * the run of misses is one a live subject would show with probability below
 * 10^-level. A run is learned only when it ends in an ack, so a dead
 * subject's silence never raises the bar it is judged by. Misses are counted only at ticks our own process ran on time: a
 * pause of ours says nothing about the subject (its acks wait in our socket).
 *
 * Two kinds of evidence guard the onset of heavy loss, before the learned
 * rates caught up: a heartbeat heard during the run shows the subject lives
 * (it is then accused only of not hearing us, on a much longer run), and
 * the observer's other links missing pings at the same time show the loss
 * is ours (`localLoss` raises the bar, as Lifeguard's local health does).
 */
export class ProbeDetector {
  private readonly recent: number[] = [];
  private awaiting = false;
  private missRun = 0;
  /** Misses since the last proof of life: an ack, or a heartbeat heard during the run. */
  private silence = 0;
  /** The misses to suspect and to be certain, fixed once the current run earned a suspicion. */
  private bar: { suspect: number; certain: number } | undefined;
  private readonly link: MissRate;
  /** Every outcome of this link as it happens, quickly forgotten: what it says about our own network. */
  private readonly lately: MissRate;
  /** The loss our other live links see right now (their `lossEvidence`, set each tick by the prober). */
  localLoss = 0;

  /** `node`: this observer's estimate over all its links, shared by its detectors. */
  constructor(
    private readonly tuning: ProbeTuning = DEFAULT_PROBE_TUNING,
    private readonly node: MissRate = new MissRate(tuning),
  ) {
    // A new link starts from what this node has learned of its network so far.
    this.link = new MissRate(tuning, node.value);
    this.lately = new MissRate(tuning, 0, tuning.localHealthRate);
  }

  /**
   * A probe tick, before the next ping goes out: the previous ping, if still
   * unanswered, becomes a miss. `onTime` false (our round ran late) drops it
   * unjudged.
   */
  tick(onTime: boolean): void {
    if (this.awaiting) {
      this.awaiting = false;
      if (onTime) this.missed();
    }
    // The bar may have come down to the run since the last miss (other links recovered).
    this.settle();
  }

  /** A miss: a ping unanswered at the next tick, or a heartbeat late (see prober.ts). */
  missed(): void {
    this.missRun++;
    this.silence++;
    // A silence longer than the floor says more about the subject than about our network.
    if (this.missRun <= this.tuning.minMisses) this.lately.learn(1);
    this.settle();
  }

  /**
   * Until the run earns a suspicion, what other links teach us may still
   * raise its bar (loss starting everywhere); from then on the bar is
   * fixed, so a suspicion is never taken back while the node stays silent.
   */
  private settle(): void {
    if (this.bar || this.missRun === 0) return;
    const bars = this.bars();
    if (this.reaches(bars)) this.bar = bars;
  }

  /**
   * Starts a new link to a subject we hold unreachable as already
   * suspecting it: an observer new to a dead node must not count as a vote
   * for its life before its own pings had a chance. The first ack ends it.
   */
  presumeSilent(): void {
    const bar = this.bar ?? this.bars();
    this.bar = bar;
    this.missRun = Math.max(this.missRun, bar.suspect);
    this.silence = Math.max(this.silence, bar.suspect);
  }

  /** A ping with sequence number `seq` was sent. */
  sent(seq: number): void {
    if (this.recent.length === this.tuning.recentPings) this.recent.shift();
    this.recent.push(seq);
    this.awaiting = true;
  }

  /**
   * A heartbeat arrived. On a link running on heartbeats (`inStep`) and
   * outside a run of misses, it is one period's success, learned as an
   * answered ping is (heartbeats replace the regular pings, so without this
   * only runs of misses would be learned). During a run it is proof of
   * life: the silence starts again, while the run goes on until an ack
   * shows the subject hears us.
   */
  heartbeat(inStep: boolean): void {
    if (inStep && !this.awaiting && this.missRun === 0) {
      this.learn(0);
      this.lately.learn(0);
    }
    this.silence = 0;
  }

  /** An ack arrived; true when it answers one of our recent pings (then it is proof of life). */
  acked(seq: number): boolean {
    if (!this.recent.includes(seq)) return false;
    if (!this.awaiting && this.missRun === 0) return true; // a duplicate, or an ack already judged
    // A run of misses ended in proof of life: that is what loss looks like.
    // Learned only now, so a dead subject's misses never raise the bar it is judged by.
    const learned = min(this.missRun, this.missesToSuspect());
    for (let i = 0; i < learned; i++) this.learn(1);
    this.learn(0);
    this.lately.learn(0);
    this.awaiting = false;
    this.missRun = 0;
    this.silence = 0;
    this.bar = undefined;
    return true;
  }

  /** True when the current run of misses is too long for a live subject: enough to accuse it. */
  get suspects(): boolean {
    return this.missRun > 0 && this.reaches(this.bar ?? this.bars());
  }

  /**
   * True when the run passed twice the level: alone, with no second
   * observer to agree, this observer is as sure as two agreeing ones.
   */
  get certain(): boolean {
    return this.missRun > 0 && this.silence >= (this.bar ?? this.bars()).certain;
  }

  /**
   * What this link says about our own network: its recent miss rate, unless
   * its run already passed the floor (then the silence is its subject's).
   */
  get lossEvidence(): number {
    return this.missRun >= this.tuning.minMisses ? 0 : this.lately.value;
  }

  /** The misses that make this run certain (for the isolation rule in prober.ts). */
  get certainBar(): number {
    return (this.bar ?? this.bars()).certain;
  }

  /** A silence long enough to suspect, or, from a subject heard during the run, a run long enough to call it deaf. */
  private reaches(bars: { suspect: number; certain: number }): boolean {
    return this.silence >= bars.suspect || this.missRun >= this.tuning.deafFactor * bars.certain;
  }

  private bars(): { suspect: number; certain: number } {
    const { certainFactor, level, minMisses } = this.tuning;
    return {
      suspect: this.missesToSuspect(),
      // Twice the silence too, however clean the link: alone, we never judge on a short pause.
      certain: max(certainFactor * minMisses, this.missesToSuspect(certainFactor * level)),
    };
  }

  /** A ping awaits its answer, or the subject is missing pings. */
  get pending(): boolean {
    return this.awaiting || this.missRun > 0;
  }

  get misses(): number {
    return this.missRun;
  }

  /** -log10 of the chance that a live subject misses this run of pings (the accusation level, reached). */
  get phi(): number {
    return this.silence * -log10(this.missRateBound());
  }

  /** The learned miss rate, for metrics and tests. */
  get missRate(): number {
    return this.link.value;
  }

  /**
   * Misses in a row a live subject shows with probability 10^-level:
   * q^m = 10^-level, with q the cautious (upper) estimate of the miss rate,
   * this link's or this node's, or the loss our other links see right now,
   * whichever is highest.
   */
  missesToSuspect(level = this.tuning.level): number {
    const q = this.missRateBound();
    return max(this.tuning.minMisses, ceil(level / -log10(q)));
  }

  private missRateBound(): number {
    const t = this.tuning;
    return max(this.link.cautious(), this.node.cautious(), min(t.maxMissRate, this.localLoss));
  }

  private learn(outcome: 0 | 1): void {
    this.link.learn(outcome);
    this.node.learn(outcome);
  }
}
