import { RoundTimers, type RoundHandlers } from '../../lib/engine/io/round-timers';
import type { Clock, Timer } from '../../lib/engine/vocabulary/clock';

/** A clock moved by hand: timers fire in time order as it advances. */
class ManualClock implements Clock {
  private time = 0;
  private timers: { at: number; callback: () => void; live: boolean }[] = [];
  /** Timer callbacks run so far (each is a wake-up of the process). */
  fired = 0;

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const timer = { at: this.time + delayMs, callback, live: true };
    this.timers.push(timer);
    return { cancel: () => (timer.live = false) };
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.time = Math.max(this.time, due.at);
      this.fired++;
      due.callback();
    }
    this.time = end;
  }

  /** Moves time without firing anything: the process was stalled. */
  stall(ms: number): void {
    this.time += ms;
  }
}

/**
 * A node as the timers see it: odd rounds are regular probe rounds (they
 * always have work), even ones have work only with news or a probe to judge.
 */
function quietNode(clock: ManualClock) {
  const node = {
    rounds: 0,
    skipped: 0,
    news: false,
    inRun: false,
    ran: [] as { at: number; late: number; n: number }[],
    probes: [] as { at: number; late: number }[],
  };
  const handlers: RoundHandlers = {
    round: (now, late) => {
      node.rounds++;
      node.news = false;
      node.ran.push({ at: now, late, n: node.rounds });
    },
    probe: (now, late) => node.probes.push({ at: now, late }),
    probeWanted: () => node.inRun,
    roundWanted: () => (node.rounds + 1) % 2 === 1 || node.news,
    skipped: () => {
      node.rounds++;
      node.skipped++;
    },
    error: (err) => {
      throw err;
    },
  };
  const timers = new RoundTimers(
    clock,
    { interval: 100, jitter: 0.1, random: () => 0.5 },
    handlers,
  );
  return { node, timers };
}

describe('RoundTimers', () => {
  it('a quiet node wakes once per probe period, and counts the rounds it skips', () => {
    const clock = new ManualClock();
    const { node, timers } = quietNode(clock);
    timers.start();
    clock.advance(2_000);
    // 20 rounds of 100 ms: the 10 regular ones ran, those between were counted, one wake-up each.
    expect(node.ran.map((r) => r.n % 2)).toEqual(Array(10).fill(1));
    expect(node.skipped).toBe(9); // the tenth, due at 2,000, is counted when the next tick runs
    expect(clock.fired).toBe(10);
    expect(node.ran.every((r) => r.late === 0)).toBe(true);
    timers.stop();
  });

  it('news between ticks brings a skipped round back at once, and the next regular round keeps its time', () => {
    const clock = new ManualClock();
    const { node, timers } = quietNode(clock);
    timers.start();
    clock.advance(100); // round 1 (regular) at 100; round 2 would be at 200, skipped
    expect(node.ran.map((r) => r.at)).toEqual([100]);
    clock.advance(130); // past the skipped round's time
    node.news = true;
    timers.reconsider();
    clock.advance(0);
    // The news round runs now, not late; the regular round 3 still runs at 300, 200 ms after round 1.
    expect(node.ran.map((r) => [r.at, r.late, r.n])).toEqual([
      [100, 0, 1],
      [230, 0, 2],
    ]);
    clock.advance(100);
    expect(node.ran.map((r) => [r.at, r.n])).toEqual([
      [100, 1],
      [230, 2],
      [300, 3],
    ]);
    timers.stop();
  });

  it('after a stall, the overdue tick runs first and reports its lateness', () => {
    const clock = new ManualClock();
    const { node, timers } = quietNode(clock);
    timers.start();
    clock.advance(100); // round 1; the timer waits for round 3 at 300
    clock.stall(450); // our process was busy until 550
    node.news = true;
    timers.reconsider(); // news read right after the stall must not hide it
    clock.advance(0);
    expect(node.ran[1]).toEqual({ at: 550, late: 250, n: 3 });
    expect(node.skipped).toBe(1);
    timers.stop();
  });

  it('a link in a run of misses gets its tick between rounds', () => {
    const clock = new ManualClock();
    const { node, timers } = quietNode(clock);
    node.inRun = true;
    timers.start();
    clock.advance(200);
    // Every 50 ms: probe ticks at 50 and 150, both rounds at 100 and 200.
    expect(node.probes.map((p) => p.at)).toEqual([50, 150]);
    expect(node.ran.map((r) => r.at)).toEqual([100, 200]);
    expect(node.skipped).toBe(0);
    timers.stop();
  });

  it('stops for good: no timer is left armed', () => {
    const clock = new ManualClock();
    const { node, timers } = quietNode(clock);
    timers.start();
    clock.advance(100);
    timers.stop();
    node.news = true;
    timers.reconsider();
    const fired = clock.fired;
    clock.advance(1_000);
    expect(clock.fired).toBe(fired);
  });
});
