import type { Clock, Timer } from '../vocabulary/clock';

/** What the timers call: each gets the time and how late (ms) it ran. */
export interface RoundHandlers {
  round(now: number, late: number): void;
  /** A probe tick halfway to the next round (the round runs the other one). */
  probe(now: number, late: number): void;
  /** Whether a probe tick has work: a link in a run of misses awaits its ping's answer. */
  probeWanted(): boolean;
  /**
   * Whether the next round, due at `at`, has work of its own: a regular
   * probe tick (heartbeats, pings), fresh news to exchange, an
   * anti-entropy turn, a heartbeat late by then, liveness work, a
   * leadership campaign (see ProtocolCore.roundWanted). One without is skipped
   * unless a probe is to be judged by then (`probeWanted`).
   */
  roundWanted(at: number): boolean;
  /** A round without work passed unrun: count it (its heartbeat). */
  skipped(): void;
  error(err: unknown): void;
}

/** One planned wake-up: a round, or a probe tick halfway to one. */
interface Tick {
  at: number;
  round: boolean;
  /** Runs whatever happens; the others only when they have work by then. */
  mandatory: boolean;
}

/**
 * The gossip rounds: every `interval` ± `jitter` at random (nodes started
 * together do not stay in step), with a probe tick halfway between two
 * rounds, so a ping missed is judged and repeated twice a round.
 *
 * A quiet node wakes once per probe period (two rounds), not once a round:
 * each wake-up of a Node process costs about as much CPU as the work it
 * does in a quiet round. After each round the next ticks are planned: the
 * probe tick, the next round, and, when that round has no work of its own
 * (`roundWanted`: no regular probe tick, news, anti-entropy turn, late
 * heartbeat, liveness work or leadership campaign), the tick and round after it. One timer is armed at the first
 * planned tick with work, the last round at the latest. A probe tick has
 * work only while a link is in a run of misses (`probeWanted`). A round
 * passed over is counted (`skipped`) when the next tick runs. Work is
 * judged when the tick is planned, not withdrawn later: Node wakes the
 * process at a cancelled timer's time anyway. News between ticks
 * (`reconsider`) brings a passed-over round back, at once.
 */
export class RoundTimers {
  private timer: Timer | undefined;
  /** The ticks still ahead, in time order; the last is a mandatory round. */
  private plan: Tick[] = [];
  /** The tick the timer is armed for. */
  private armed: Tick | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly timing: { interval: number; jitter: number; random: () => number },
    private readonly handlers: RoundHandlers,
  ) {}

  /** Plans from now: the next round, and the one after when the next has no work of its own. */
  start(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const first = now + this.delay();
    const plan: Tick[] = [{ at: (now + first) / 2, round: false, mandatory: false }];
    if (this.ask(() => this.handlers.roundWanted(first))) {
      plan.push({ at: first, round: true, mandatory: true });
    } else {
      const second = first + this.delay();
      plan.push(
        { at: first, round: true, mandatory: false },
        { at: (first + second) / 2, round: false, mandatory: false },
        { at: second, round: true, mandatory: true },
      );
    }
    this.plan = plan;
    this.armed = undefined;
    this.arm();
  }

  /** News came between ticks (a write, a node, a leave): a round passed over may have work now. */
  reconsider(): void {
    if (this.stopped || this.plan.length === 0) return;
    // News changes only whether a round has work: with no round passed over before the armed
    // tick, nothing can move (news comes many times a datagram in a join storm).
    if (this.armed && !this.roundBefore(this.armed)) return;
    this.arm(true);
  }

  private roundBefore(armed: Tick): boolean {
    for (const tick of this.plan) {
      if (tick === armed) return false;
      if (tick.round) return true;
    }
    return false;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private delay(): number {
    const { interval, jitter, random } = this.timing;
    return interval * (1 - jitter + 2 * jitter * random());
  }

  /** `probe`: whether a probe is to be judged, asked once per arming. */
  private wanted(tick: Tick, probe: () => boolean): boolean {
    if (tick.mandatory) return true;
    if (tick.round && this.ask(() => this.handlers.roundWanted(tick.at))) return true;
    return probe();
  }

  /** A question to the handlers; one that throws (a bug) is reported and answered yes, so the chain goes on. */
  private ask(question: () => boolean): boolean {
    try {
      return question();
    } catch (err) {
      this.handlers.error(err);
      return true;
    }
  }

  /**
   * Arms the timer at the first planned tick with work (the last one always
   * has). `between`: called between ticks, where a tick passed over for
   * want of work may have gained some (news came): it runs now, and is not
   * late (lateness tells the pause guard our process stalled), unless the
   * armed tick is itself due: then our process stalled, and that tick runs
   * first, with its lateness.
   */
  private arm(between = false): void {
    if (this.stopped) return;
    const now = this.clock.now();
    if (between && this.armed && this.armed.at <= now) return;
    let probe: boolean | undefined;
    const probeWanted = () => (probe ??= this.ask(() => this.handlers.probeWanted()));
    let next: Tick | undefined;
    for (const tick of this.plan) {
      if (this.wanted(tick, probeWanted)) {
        next = tick;
        break;
      }
    }
    if (next === this.armed) return;
    this.timer?.cancel();
    this.armed = next;
    if (!next) return;
    const tick = next;
    if (between) tick.at = Math.max(tick.at, now);
    this.timer = this.clock.setTimer(Math.max(0, tick.at - now), () => this.fire(tick));
  }

  private fire(tick: Tick): void {
    this.timer = undefined;
    this.armed = undefined;
    if (this.stopped) return;
    // The ticks before this one had no work: a round among them is counted, not run.
    const at = this.plan.indexOf(tick);
    if (at < 0) return;
    for (const passed of this.plan.slice(0, at))
      if (passed.round) this.run(() => this.handlers.skipped());
    const now = this.clock.now();
    // A probe tick already past (the round ran late, brought back by news) has nothing left to judge.
    this.plan = this.plan.slice(at + 1).filter((t) => t.round || t.at > now);
    if (tick.round) this.run(() => this.handlers.round(now, now - tick.at));
    else this.run(() => this.handlers.probe(now, now - tick.at));
    // After the last planned round, plan again; a round passed over and brought back keeps the
    // plan's next (regular) round at its time, so heartbeats keep their period.
    if (this.plan.length === 0) this.start();
    else this.arm();
  }

  private run(work: () => void): void {
    if (this.stopped) return;
    try {
      work();
    } catch (err) {
      this.handlers.error(err);
    }
  }
}
