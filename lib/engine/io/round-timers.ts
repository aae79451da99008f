import type { Clock, Timer } from '../vocabulary/clock';

/** What the timers call: each gets the time and how late (ms) it ran. */
export interface RoundHandlers {
  round(now: number, late: number): void;
  /** A probe tick halfway to the next round (the round runs the other one). */
  probe(now: number, late: number): void;
  /** Whether a probe tick at `at` has work: a ping is unanswered, or a heartbeat will be late by then. */
  probeWanted(at: number): boolean;
  error(err: unknown): void;
}

/**
 * The gossip rounds: every `interval` ± `jitter` at random (nodes started
 * together do not stay in step), with a probe tick halfway between two
 * rounds, so a ping missed is judged and repeated twice a round. The probe
 * tick only has work while a ping is unanswered or a heartbeat is overdue,
 * so it is armed after a round that left one and dropped once the last ack
 * or heartbeat arrives: a quiet node wakes once a round, not twice.
 */
export class RoundTimers {
  private roundTimer: Timer | undefined;
  private probeTimer: Timer | undefined;
  private probeDue = 0;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly timing: { interval: number; jitter: number; random: () => number },
    private readonly handlers: RoundHandlers,
  ) {}

  /** Schedules the next round (and the probe tick before it, when a ping awaits its answer). */
  start(): void {
    if (this.stopped) return;
    const { interval, jitter, random } = this.timing;
    const delay = interval * (1 - jitter + 2 * jitter * random());
    const now = this.clock.now();
    const roundDue = now + delay;
    const probeDue = now + delay / 2;
    this.probeDue = probeDue;
    this.probeTimer = undefined;
    if (this.handlers.probeWanted(probeDue))
      this.probeTimer = this.clock.setTimer(delay / 2, () => {
        this.probeTimer = undefined;
        this.run(() => this.handlers.probe(this.clock.now(), this.clock.now() - probeDue));
      });
    this.roundTimer = this.clock.setTimer(delay, () => {
      this.run(() => this.handlers.round(this.clock.now(), this.clock.now() - roundDue));
      this.start();
    });
  }

  /** An answer or a heartbeat arrived: drop the probe tick if it has no work left. */
  answered(): void {
    if (this.probeTimer === undefined || this.handlers.probeWanted(this.probeDue)) return;
    this.probeTimer.cancel();
    this.probeTimer = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.roundTimer?.cancel();
    this.probeTimer?.cancel();
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
