import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:net';
import { GossipConfigError } from '../engine';
import { explainJoinError } from '../engine/vocabulary/errors';
import { parseHostPort } from '../engine/vocabulary/address';
import { plural } from '../engine/vocabulary/plural';
import { GOSSIP_RESOLVED_OPTIONS } from './constants';
import { GossipEventBus } from './gossip-event-bus';
import { GossipService } from './gossip.service';
import { GossipSubscribersLoader } from './gossip-subscribers.loader';
import { gossipSocket, guardHttpPort } from './http-port-guard';
import type { ResolvedGossipModuleOptions } from './interfaces';
import { ClusterMessageBus } from './messages/cluster-message-bus';
import { MessagesSubscribersLoader } from './messages/messages-subscribers.loader';

/**
 * Start and stop of the node. Bootstrap: bind the `@OnGossipEvent`,
 * `@OnClusterMessage` and `@OnClusterQuery` handlers (two query handlers for
 * one name fail here, sockets closed), release held events and messages, then join the seeds with retry and exponential backoff
 * (`joinOnBootstrap: 'wait'`: bootstrap waits for `joinAttempts`, then goes on
 * in the background or, with `joinFailFast`, fails; `'background'`: all of it
 * in the background). Shutdown: leave (bounded by `leaveTimeout`), then close
 * the sockets and complete `events$`.
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
    @Inject(GOSSIP_RESOLVED_OPTIONS) private readonly options: ResolvedGossipModuleOptions,
    private readonly gossip: GossipService,
    private readonly loader: GossipSubscribersLoader,
    private readonly bus: GossipEventBus,
    private readonly messagesLoader: MessagesSubscribersLoader,
    private readonly messageBus: ClusterMessageBus,
    @Optional() private readonly http?: HttpAdapterHost,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.loader.loadSubscribers();
    try {
      this.messagesLoader.load();
    } catch (err) {
      // Two @OnClusterQuery for one name: fail before joining, sockets closed.
      await this.closeAfterFailedStart();
      throw err;
    }
    this.bus.release();
    this.messageBus.release();
    this.watchHttpPort();
    const seeds = this.options.join;
    if (seeds.length === 0) {
      await this.gossip.join([]); // nobody to join: this node founds the cluster
      this.logger.log(
        `node ${this.gossip.nodeId} started at ${this.gossip.localNode().addr}; no seeds, waiting to be joined`,
      );
      return;
    }
    if (this.options.joinOnBootstrap === 'background') {
      this.logger.log(
        `node ${this.gossip.nodeId} at ${this.gossip.localNode().addr} joining ${seeds.join(', ')} in the background`,
      );
      this.joinInBackground(seeds, 0);
      return;
    }
    const attempts = this.options.joinAttempts;
    if (await this.tryJoin(seeds, 0, attempts)) return;
    if (this.stopped) return;
    const failure = `could not join any of ${seeds.join(', ')} in ${plural(attempts, 'attempt')} (option join = ${JSON.stringify(seeds)}): ${this.lastError}`;
    if (this.options.joinFailFast) {
      await this.closeAfterFailedStart();
      throw new Error(`GossipModule: ${failure}`);
    }
    this.logger.warn(`${failure}; retrying in the background`);
    this.joinInBackground(seeds, attempts);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop();
    const status = this.gossip.status;
    if (status === 'closed' || status === 'left') return;
    const timeout = this.options.leaveTimeout;
    const peers = this.gossip.livePeers().length;
    this.logger.log(
      `node ${this.gossip.nodeId} leaving the cluster (${plural(peers, 'live peer')})`,
    );
    try {
      await withTimeout(this.gossip.leave(), timeout, `leave took longer than ${timeout} ms`);
      this.logger.log(
        peers > 0
          ? `node ${this.gossip.nodeId} left: a peer acknowledged`
          : `node ${this.gossip.nodeId} left (no live peer to tell)`,
      );
    } catch (err) {
      this.logger.warn(
        `leave: ${(err as Error).message}; peers will detect the node as unreachable instead`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stop();
    const wasOpen = this.gossip.status !== 'closed';
    await this.gossip.close();
    this.bus.complete();
    this.messageBus.complete();
    if (wasOpen) this.logger.log(`node ${this.gossip.nodeId} closed its gossip sockets`);
  }

  /**
   * `app.listen` comes after bootstrap: if it asks for gossip's own port, it
   * fails naming the clash (not a bare EADDRINUSE), and the node leaves
   * first, so its peers need not wait `nodeExpiry` for a node that is dead.
   */
  private watchHttpPort(): void {
    const server = this.http?.httpAdapter?.getHttpServer() as Server | undefined;
    if (typeof server?.listen !== 'function' || typeof server.emit !== 'function') return;
    const reported = this.options.advertiseAddr
      ? undefined
      : parseHostPort(this.gossip.localNode().addr)?.port;
    const socket = gossipSocket(this.options.bindAddr, reported);
    if (!socket) return;
    const clash = (port: number) =>
      `gossip and HTTP both use port ${port}; give gossip its own port`;
    guardHttpPort(
      server,
      socket,
      (port) =>
        new GossipConfigError(
          'bindAddr',
          `is the HTTP port too: ${clash(port)}`,
          this.options.bindAddr,
        ),
      async () => {
        this.logger.error(
          `${clash(socket.port)} (bindAddr ${this.options.bindAddr}): leaving the cluster`,
        );
        await this.beforeApplicationShutdown();
      },
    );
  }

  private async closeAfterFailedStart(): Promise<void> {
    this.stop();
    await this.gossip.close();
    this.bus.complete();
    this.messageBus.complete();
  }

  /** Not awaited: bootstrap goes on; stop() ends the loop at shutdown. */
  private joinInBackground(seeds: string[], from: number): void {
    this.tryJoin(seeds, from, Infinity).catch((err: Error) =>
      this.logger.error(`background join stopped: ${err.stack ?? err}`),
    );
  }

  /** Attempts `from` to `to` (exclusive); true once joined, or once a peer reached us. */
  private async tryJoin(seeds: string[], from: number, to: number): Promise<boolean> {
    const timeout = this.options.joinTimeout;
    for (let attempt = from; attempt < to && !this.stopped; attempt++) {
      if (attempt > 0) await this.sleep(this.backoff(attempt));
      if (this.stopped) return false;
      if (attempt > 0 && this.gossip.status === 'joined') {
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
        this.lastError = explainJoinError(err);
        this.logger.debug(`join attempt ${attempt + 1} failed: ${this.lastError}`);
        if (to === Infinity && attempt === 0)
          this.logger.warn(`join failed: ${this.lastError}; retrying`);
      }
    }
    return false;
  }

  /** Exponential from `joinBackoff`, capped at `joinMaxBackoff`, with ±20 % jitter. */
  private backoff(attempt: number): number {
    const delay = Math.min(
      this.options.joinMaxBackoff,
      this.options.joinBackoff * 2 ** Math.max(0, attempt - 1),
    );
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
