import { Prober, type OutgoingPing } from '../../lib/engine/liveness/prober';
import { DEFAULT_PROBE_TUNING } from '../../lib/engine/vocabulary/tuning';

const tuning = DEFAULT_PROBE_TUNING;
const subject = { id: 'b', addr: '10.0.0.2:7946' };
/** The probe period of the default tuning: regular ticks 200 ms apart, a round tick between. */
const PERIOD = 200;

/** A prober whose link to `b` runs on heartbeats: its first ping answered, then a heartbeat heard. */
function onHeartbeats(): Prober {
  const prober = new Prober(tuning, () => 0.5);
  const [ping] = prober.tick(0, true, [subject], []);
  prober.acked(ping.addr, ping.seq);
  prober.heard('b', 10);
  return prober;
}

describe('Prober on heartbeats', () => {
  it('pings a subject whose heartbeats arrive only on every verifyEvery-th regular tick', () => {
    const prober = onHeartbeats();
    const pings: OutgoingPing[] = [];
    for (let t = PERIOD; t <= 20 * PERIOD; t += PERIOD) {
      prober.heard('b', t - 5);
      const sent = prober.tick(t, true, [subject], []);
      pings.push(...sent);
      for (const p of sent) prober.acked(p.addr, p.seq);
      prober.tick(t + PERIOD / 2, true, [subject], [], false); // the round tick between
    }
    expect(pings).toHaveLength(20 / tuning.verifyEvery);
    expect(prober.watched().get('b')?.misses).toBe(0);
  });

  it('counts a late heartbeat as a miss and confirms the silence with a ping at every tick', () => {
    const prober = onHeartbeats();
    // The next heartbeat is due by 10 + 200 ms; at 250 ms past it, nothing yet.
    expect(prober.overdue(10 + tuning.beatDeadline)).toBe(false);
    expect(prober.overdue(11 + tuning.beatDeadline)).toBe(true);
    const late = prober.tick(11 + tuning.beatDeadline, true, [subject], [], false);
    expect(late).toHaveLength(1);
    expect(prober.watched().get('b')?.misses).toBe(1);
    // Unanswered: every tick, regular or not, pings again and counts one more, until it suspects.
    let ticks = 0;
    while (!prober.suspects('b') && ticks < 50) {
      ticks++;
      expect(prober.tick(300 + 50 * ticks, true, [subject], [], ticks % 4 === 0)).toHaveLength(1);
      expect(prober.watched().get('b')?.misses).toBe(ticks + 1);
    }
    expect(prober.suspects('b')).toBe(true);
  });

  it('judges no heartbeat late in a tick of its own that ran late (our pause, not its silence)', () => {
    const prober = onHeartbeats();
    expect(prober.tick(2_000, false, [subject], [], false)).toHaveLength(0);
    expect(prober.watched().get('b')?.misses).toBe(0);
    // Its heartbeats waited in our socket: read, then the next tick finds it well.
    prober.heard('b', 2_001);
    expect(prober.tick(2_050, true, [subject], [], false)).toHaveLength(0);
  });

  it('after an answered silence, pings at the regular rate until heartbeats come again', () => {
    const prober = onHeartbeats();
    const [confirm] = prober.tick(300, true, [subject], [], false);
    prober.acked(confirm.addr, confirm.seq);
    // No heartbeats (it no longer counts us among its observers): a ping each regular tick, no miss.
    for (let t = 400; t <= 1_200; t += PERIOD) {
      const [ping, ...more] = prober.tick(t, true, [subject], []);
      expect(more).toHaveLength(0);
      prober.acked(ping.addr, ping.seq);
      expect(prober.tick(t + 100, true, [subject], [], false)).toHaveLength(0);
    }
    expect(prober.watched().get('b')?.misses).toBe(0);
    prober.heard('b', 1_350);
    // Beating again: the next regular tick sends nothing.
    expect(prober.tick(1_400, true, [subject], [])).toHaveLength(0);
  });

  it('learns a heartbeat in time as an answered ping: one lost in ten reads as about 10% loss', () => {
    const prober = onHeartbeats();
    let t = 10;
    for (let period = 1; period <= 300; period++) {
      t += PERIOD;
      if (period % 10 === 0) {
        // Lost: late at the next round tick, confirmed by a ping that is answered.
        const [ping] = prober.tick(
          t + tuning.beatDeadline - PERIOD + 1,
          true,
          [subject],
          [],
          false,
        );
        prober.acked(ping.addr, ping.seq);
        continue;
      }
      prober.heard('b', t);
      for (const p of prober.tick(t + 1, true, [subject], [])) prober.acked(p.addr, p.seq);
    }
    const link = prober.watched().get('b')!;
    expect(link.missRate).toBeGreaterThan(0.03);
    expect(link.missRate).toBeLessThan(0.2);
  });

  it('takes no heartbeat from a node it does not watch', () => {
    const prober = new Prober(tuning, () => 0.5);
    prober.heard('b', 0);
    // Its first regular tick pings it: a heartbeat before the link existed made no link.
    expect(prober.tick(100, true, [subject], [])).toHaveLength(1);
  });
});
