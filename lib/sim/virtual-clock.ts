import type { Clock, Timer } from '../engine/vocabulary/clock';

/** One scheduled callback. Equal times run in scheduling order (`seq`). */
interface SimEvent {
  at: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
}

/**
 * Virtual time shared by the whole simulation: a priority queue of events
 * ordered by (time, scheduling order), so a run is the same event for event
 * for the same inputs. Time only moves when the simulation runs events.
 */
export class VirtualClock {
  private heap: SimEvent[] = [];
  private seq = 0;
  private time: number;

  constructor(start: number) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** Runs `run` at `at` (never in the past). */
  schedule(at: number, run: () => void): Timer {
    const event: SimEvent = { at: Math.max(at, this.time), seq: this.seq++, run, cancelled: false };
    this.push(event);
    return { cancel: () => (event.cancelled = true) };
  }

  /** Time of the next live event, or undefined when nothing is scheduled. */
  peekTime(): number | undefined {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
    return this.heap.length > 0 ? this.heap[0].at : undefined;
  }

  /** Runs the next event if it is due by `limit`; returns false when there is none. */
  step(limit: number): boolean {
    while (this.heap.length > 0) {
      const head = this.heap[0];
      if (head.cancelled) {
        this.pop();
        continue;
      }
      if (head.at > limit) return false;
      this.pop();
      this.time = head.at;
      head.run();
      return true;
    }
    return false;
  }

  /** Moves time forward to `to` without running anything (the queue must hold nothing earlier). */
  advanceTo(to: number): void {
    if (to > this.time) this.time = to;
  }

  get pending(): number {
    return this.heap.length;
  }

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(event: SimEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.less(heap[l], heap[m])) m = l;
        if (r < heap.length && this.less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * One node's view of virtual time: the `Clock` handed to its engine. A
 * paused node's timers do not fire until it resumes (then every overdue one
 * fires at once, as after a long GC pause); a halted (crashed) node's never
 * fire again.
 */
export class NodeClock implements Clock {
  private paused = false;
  private halted = false;
  private deferred: Array<() => void> = [];

  constructor(
    private readonly clock: VirtualClock,
    /** Called after each timer callback: it may have started async work. */
    private readonly onFire: () => void,
  ) {}

  now(): number {
    return this.clock.now();
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    if (this.halted) return { cancel: () => undefined };
    let cancelled = false;
    const fire = () => {
      if (cancelled || this.halted) return;
      if (this.paused) {
        this.deferred.push(fire);
        return;
      }
      callback();
      this.onFire();
    };
    const timer = this.clock.schedule(this.clock.now() + Math.max(0, delayMs), fire);
    return {
      cancel: () => {
        cancelled = true;
        timer.cancel();
      },
    };
  }

  get isPaused(): boolean {
    return this.paused;
  }
  get isHalted(): boolean {
    return this.halted;
  }

  pause(): void {
    this.paused = true;
  }

  /** Fires, now and in their original order, every timer that fell due during the pause. */
  resume(): void {
    this.paused = false;
    const due = this.deferred;
    this.deferred = [];
    for (const fire of due) this.clock.schedule(this.clock.now(), fire);
  }

  /** The process is gone: nothing it scheduled runs again. */
  halt(): void {
    this.halted = true;
    this.deferred = [];
  }
}
