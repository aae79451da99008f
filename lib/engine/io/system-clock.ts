import type { Clock } from '../vocabulary/clock';

/**
 * Real time: Date.now() and Node timers that do not keep the process alive.
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, callback) {
    const handle = setTimeout(callback, delayMs);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
