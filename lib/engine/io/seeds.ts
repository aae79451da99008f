import { formatHostPort, parseHostPort } from '../vocabulary/address';
import type { Clock, Timer } from '../vocabulary/clock';
import { Resolver, resolveHost } from './resolver';

/** Where `join` should go: every address of every name, and what could not be used. */
export interface JoinTargets {
  targets: string[];
  errors: Error[];
}

/**
 * The names given to `join`: resolved to every address they have when
 * joining, and again every `resolveInterval` to find peers that appeared
 * behind them (a scaled-up deployment, a replaced pod). DNS only, no sockets.
 */
export class Seeds {
  private readonly names = new Set<string>();
  private timer: Timer | undefined;
  private stopped = false;

  constructor(private readonly resolver: Resolver) {}

  /** Resolves `addrs` (`host[:port]`, port defaulting to `defaultPort`) and remembers the names. */
  async resolve(addrs: string[], defaultPort: number): Promise<JoinTargets> {
    const targets: string[] = [];
    const errors: Error[] = [];
    for (const addr of addrs) {
      const parsed = parseHostPort(addr.trim(), defaultPort);
      if (!parsed || parsed.host === '') {
        errors.push(new Error(`${addr}: not host[:port]`));
        continue;
      }
      this.names.add(formatHostPort(parsed.host, parsed.port));
      try {
        for (const ip of await resolveHost(this.resolver, parsed.host)) {
          targets.push(formatHostPort(ip, parsed.port));
        }
      } catch (err) {
        errors.push(new Error(`${addr}: cannot resolve: ${(err as Error).message}`));
      }
    }
    return { targets: [...new Set(targets)], errors };
  }

  /**
   * Looks the names up again; calls `found` for each address that `isKnown`
   * rejects. Lookup failures go to `failed` (they are retried next time).
   */
  async reresolve(
    isKnown: (addr: string) => boolean,
    found: (addr: string) => void,
    failed: (seed: string, err: Error) => void,
  ): Promise<void> {
    for (const seed of this.names) {
      const parsed = parseHostPort(seed);
      if (!parsed) continue;
      let ips: string[];
      try {
        ips = await resolveHost(this.resolver, parsed.host);
      } catch (err) {
        failed(seed, err as Error);
        continue;
      }
      for (const ip of ips) {
        const addr = formatHostPort(ip, parsed.port);
        if (!isKnown(addr)) found(addr);
      }
    }
  }

  /**
   * Every `interval` ms (one lookup round at a time), looks the names up
   * again and calls `found` for each address `isKnown` rejects, until `stop`.
   */
  watch(
    clock: Clock,
    interval: number,
    isKnown: () => (addr: string) => boolean,
    found: (addr: string) => void,
    failed: (seed: string, err: Error) => void,
  ): void {
    if (this.stopped) return;
    this.timer = clock.setTimer(interval, () => {
      void this.reresolve(isKnown(), found, failed).finally(() =>
        this.watch(clock, interval, isKnown, found, failed),
      );
    });
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }
}
