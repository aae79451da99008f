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
});
