export interface WaitOptions {
  /** Poll period in ms (default 10). */
  every?: number;
  /** Says what the state was when the wait timed out, for the failure message. */
  detail?: () => string;
}

/**
 * Polls `condition` until it returns something truthy, and returns that.
 * A condition that throws counts as not yet; after `timeoutMs` the wait fails
 * naming `what`, the last error and `detail`.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
  { every = 10, detail }: WaitOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = [lastError ? String(lastError) : '', detail ? detail() : '']
        .filter(Boolean)
        .join('; ');
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${why ? `: ${why}` : ''}`,
      );
    }
    await sleep(every);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
