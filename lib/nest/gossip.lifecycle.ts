import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { GOSSIP_RESOLVED_OPTIONS, LIFECYCLE_DEFAULTS } from './constants';
import { GossipEventBus } from './gossip-event-bus';
import { GossipService } from './gossip.service';
import { GossipSubscribersLoader } from './gossip-subscribers.loader';
import type { GossipModuleOptions } from './interfaces';

/**
 * Start and stop of the node. Bootstrap: bind the `@OnGossipEvent` handlers,
 * release held events, then join the seeds with retry and exponential backoff
 * (in the background after `joinAttempts`, or failing the bootstrap with
 * `joinFailFast`). Shutdown: leave (bounded by `leaveTimeout`), then close the
 * sockets and complete `events$`.
 */
@Injectable()
export class GossipLifecycle
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('GossipModule');
  private stopped = false;
  private wake: (() => void) | undefined;
  private lastError = 'no attempt made';

  constructor(
    @Inject(GOSSIP_RESOLVED_OPTIONS) private readonly options: GossipModuleOptions,
    private readonly gossip: GossipService,
    private readonly loader: GossipSubscribersLoader,
    private readonly bus: GossipEventBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.loader.loadSubscribers();
    this.bus.release();
    const seeds = this.options.join ?? [];
    if (seeds.length === 0) {
      this.gossip.markJoined();
      this.logger.log(
        `node ${this.gossip.nodeId} started at ${this.gossip.localNode().addr}; no seeds, waiting to be joined`,
      );
      return;
    }
    const attempts = this.options.joinAttempts ?? LIFECYCLE_DEFAULTS.joinAttempts;
    if (await this.tryJoin(seeds, 0, attempts)) return;
    if (this.stopped) return;
    if (this.options.joinFailFast) {
      await this.gossip.close();
      this.bus.complete();
      throw new Error(
        `GossipModule: could not join any of ${seeds.join(', ')} in ${attempts} attempts (last error: ${this.lastError})`,
      );
    }
    this.logger.warn(
      `could not join any of ${seeds.join(', ')} in ${attempts} attempts (last error: ${this.lastError}); retrying in the background`,
    );
    // Not awaited: bootstrap goes on; stop() ends the loop at shutdown.
    this.tryJoin(seeds, attempts, Infinity).catch((err: Error) =>
      this.logger.error(`background join stopped: ${err.stack ?? err}`),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop();
    const status = this.gossip.status;
    if (status === 'closed' || status === 'left') return;
    const timeout = this.options.leaveTimeout ?? LIFECYCLE_DEFAULTS.leaveTimeout;
    try {
      await withTimeout(this.gossip.leave(), timeout, `leave took longer than ${timeout} ms`);
    } catch (err) {
      this.logger.warn(
        `leave: ${(err as Error).message}; peers will detect the node as unreachable instead`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stop();
    await this.gossip.close();
    this.bus.complete();
  }

  /** Attempts `from` to `to` (exclusive); true once joined, or once a peer reached us. */
  private async tryJoin(seeds: string[], from: number, to: number): Promise<boolean> {
    const timeout = this.options.joinTimeout ?? LIFECYCLE_DEFAULTS.joinTimeout;
    for (let attempt = from; attempt < to && !this.stopped; attempt++) {
      if (attempt > from || from > 0) await this.sleep(this.backoff(attempt));
      if (this.stopped) return false;
      if (attempt > 0 && this.gossip.livePeers().length > 0) {
        this.gossip.markJoined();
        this.logger.log(`node ${this.gossip.nodeId} joined: a peer reached us first`);
        return true;
      }
      try {
        const ids = await withTimeout(
          this.gossip.join(seeds),
          timeout,
          `join took longer than ${timeout} ms`,
        );
        this.logger.log(
          `node ${this.gossip.nodeId} at ${this.gossip.localNode().addr} joined through ${ids.length > 0 ? ids.join(', ') : 'itself'}`,
        );
        return true;
      } catch (err) {
        if (this.stopped) return false;
        this.lastError = (err as Error).message;
        this.logger.debug(`join attempt ${attempt + 1} failed: ${this.lastError}`);
      }
    }
    return false;
  }

  /** Exponential from `joinBackoff`, capped at `joinMaxBackoff`, with ±20 % jitter. */
  private backoff(attempt: number): number {
    const base = this.options.joinBackoff ?? LIFECYCLE_DEFAULTS.joinBackoff;
    const max = this.options.joinMaxBackoff ?? LIFECYCLE_DEFAULTS.joinMaxBackoff;
    const delay = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
    return delay * (0.8 + 0.4 * Math.random());
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private stop(): void {
    this.stopped = true;
    this.wake?.();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
