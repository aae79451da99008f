/** A cancellable timer handle. */
export interface Timer {
  cancel(): void;
}

/**
 * Time source and timers, injected so the simulator can run the engine on a
 * virtual clock. `now()` is milliseconds; it must never go backwards.
 */
export interface Clock {
  now(): number;
  setTimer(delayMs: number, callback: () => void): Timer;
}
