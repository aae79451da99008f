/**
 * A cancellable timer handle.
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export interface Timer {
  cancel(): void;
}

/**
 * Time source and timers, injected so the simulator can run the engine on a
 * virtual clock. `now()` is milliseconds; it must never go backwards.
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export interface Clock {
  now(): number;
  setTimer(delayMs: number, callback: () => void): Timer;
}
