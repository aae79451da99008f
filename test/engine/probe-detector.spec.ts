import { ProbeDetector } from '../../lib/engine/liveness/probe-detector';
import { DEFAULT_PROBE_TUNING } from '../../lib/engine/vocabulary/tuning';

/** Pings `count` times; `answered(i)` says whether ping i is acked before the next tick. */
function run(d: ProbeDetector, count: number, answered: (i: number) => boolean, seq0 = 0): void {
  for (let i = 0; i < count; i++) {
    d.tick(true);
    d.sent(seq0 + i);
    if (answered(i)) d.acked(seq0 + i);
  }
}

describe('ProbeDetector', () => {
  it('on a clean link, suspects after the minimum run of misses, not before', () => {
    const d = new ProbeDetector();
    run(d, 200, () => true);
    expect(d.missRate).toBeLessThan(0.01);
    expect(d.missesToSuspect()).toBe(DEFAULT_PROBE_TUNING.minMisses);
    d.tick(true);
    d.sent(1000);
    d.tick(true);
    expect(d.suspects).toBe(false);
    d.sent(1001);
    d.tick(true);
    expect(d.suspects).toBe(true);
  });

  it('an ack for any recent ping is proof of life and ends the run', () => {
    const d = new ProbeDetector();
    run(d, 100, () => true);
    for (let s = 500; s < 503; s++) {
      d.tick(true);
      d.sent(s);
    }
    d.tick(true);
    expect(d.suspects).toBe(true);
    expect(d.acked(999)).toBe(false);
    expect(d.acked(501)).toBe(true);
    expect(d.suspects).toBe(false);
    expect(d.misses).toBe(0);
  });

  it('learns loss: at 75% unanswered pings it waits for a run a live node shows rarely', () => {
    const d = new ProbeDetector();
    let x = 12345;
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
    run(d, 5000, () => rnd() >= 0.75);
    expect(d.missRate).toBeGreaterThan(0.6);
    expect(d.missRate).toBeLessThan(0.9);
    // 0.75^m <= 1e-4 needs m >= 32; the cautious estimate asks for more.
    expect(d.missesToSuspect()).toBeGreaterThanOrEqual(32);
  });

  it('a dead subject never raises the bar it is judged by', () => {
    const d = new ProbeDetector();
    run(d, 100, () => true);
    const bar = d.missesToSuspect();
    run(d, 50, () => false, 1000);
    expect(d.missesToSuspect()).toBe(bar);
    expect(d.suspects).toBe(true);
  });

  it('does not count a ping whose verdict falls in our own pause', () => {
    const d = new ProbeDetector();
    run(d, 100, () => true);
    d.tick(true);
    d.sent(7);
    d.tick(false); // our round ran late: the ack may be waiting in our socket
    expect(d.misses).toBe(0);
    d.sent(8);
    expect(d.acked(7)).toBe(true);
    expect(d.misses).toBe(0);
  });

  it('a heartbeat heard during a run restarts the silence: a live subject is accused only of deafness, on a longer run', () => {
    // The engine's floor: 8 ticks (4 rounds) of silence.
    const tuning = { ...DEFAULT_PROBE_TUNING, minMisses: 8 };
    const d = new ProbeDetector(tuning);
    run(d, 200, () => true);
    const deafBar = tuning.deafFactor * tuning.certainFactor * tuning.minMisses;
    // Misses at every tick, a heartbeat after every third: the subject lives but never answers.
    let suspectedAt = 0;
    for (let i = 1; i <= 2 * deafBar && suspectedAt === 0; i++) {
      d.sent(2000 + i);
      d.tick(true);
      if (i % 3 === 0) d.heartbeat(false);
      if (d.suspects) suspectedAt = d.misses;
    }
    expect(suspectedAt).toBe(deafBar);
    expect(d.certain).toBe(false); // never alone: only the quorum calls a live node deaf
  });

  it('a heartbeat does not excuse a silence that went on after it', () => {
    const d = new ProbeDetector();
    run(d, 200, () => true);
    const { minMisses } = DEFAULT_PROBE_TUNING;
    d.tick(true);
    d.sent(3000);
    d.tick(true);
    d.heartbeat(false);
    for (let i = 1; i <= minMisses; i++) {
      d.sent(3000 + i);
      d.tick(true);
      expect(d.suspects).toBe(i >= minMisses);
    }
  });

  it('loss on our other links raises the bar; a long silence on this one is no evidence of our own loss', () => {
    const tuning = { ...DEFAULT_PROBE_TUNING, minMisses: 8 };
    const { minMisses } = tuning;
    const d = new ProbeDetector(tuning);
    run(d, 200, () => true);
    d.localLoss = 0.75; // 0.75^m <= 10^-level
    expect(d.missesToSuspect()).toBe(Math.ceil(tuning.level / -Math.log10(0.75)));
    d.localLoss = 0;
    expect(d.missesToSuspect()).toBe(minMisses);

    const other = new ProbeDetector(tuning);
    run(other, 200, () => true);
    expect(other.lossEvidence).toBe(0);
    run(other, 3, () => false, 5000);
    other.tick(true);
    expect(other.lossEvidence).toBeGreaterThan(0.5); // three misses in a row, learned at once
    run(other, minMisses, () => false, 6000);
    expect(other.lossEvidence).toBe(0); // past the floor: the silence is its subject's
  });
});
