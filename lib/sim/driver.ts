import type { VirtualClock } from './virtual-clock';

/**
 * Runs a virtual clock event by event. Between two events it lets the
 * engines' promise continuations run, but only when engine code may have
 * awaited something (`markAsync`): a stream reply, a timer's async work.
 */
export class SimDriver {
  private dirty = false;
  /** Events run so far (a cheap measure of simulation work). */
  steps = 0;

  constructor(private readonly clock: VirtualClock) {}

  /** Async work may have started: drain continuations after the current event. */
  markAsync(): void {
    this.dirty = true;
  }

  /** Runs every event due in the next `ms` of virtual time. */
  async runFor(ms: number): Promise<void> {
    await this.runTo(this.clock.now() + ms);
  }

  /** Runs every event due up to `limit`, then sets the clock to it. */
  private async runTo(limit: number): Promise<void> {
    while (this.clock.step(limit)) await this.afterStep();
    this.clock.advanceTo(limit);
  }

  /**
   * Runs until `done()` holds, checking every `step` ms. Returns the virtual
   * ms it took, or throws after `timeout`.
   */
  async runUntil(done: () => boolean, timeout: number, step: number): Promise<number> {
    const start = this.clock.now();
    while (!done()) {
      if (this.clock.now() - start >= timeout) {
        throw new Error(`condition not met within ${timeout} ms of virtual time`);
      }
      await this.runFor(Math.min(step, start + timeout - this.clock.now()));
    }
    return this.clock.now() - start;
  }

  /** Runs until `promise` settles (it needs virtual time to), then returns it. */
  async settle<T>(promise: Promise<T>, timeout: number): Promise<T> {
    let done = false;
    promise.then(
      () => (done = true),
      () => (done = true),
    );
    await drain();
    const limit = this.clock.now() + timeout;
    while (!done && this.clock.step(limit)) await this.afterStep();
    if (!done) throw new Error(`operation did not complete within ${timeout} ms of virtual time`);
    return promise;
  }

  /**
   * After each event: when engine code awaited something, let its
   * continuations run before time moves on; otherwise one microtask turn
   * (for promises the event resolved), without the cost of an async call:
   * a large simulation runs millions of events.
   */
  private afterStep(): Promise<void> {
    this.steps++;
    return this.dirty ? this.drainContinuations() : RESOLVED;
  }

  private async drainContinuations(): Promise<void> {
    this.dirty = false;
    await drain();
  }
}

const RESOLVED = Promise.resolve();

/** Lets every queued promise continuation run. */
function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
