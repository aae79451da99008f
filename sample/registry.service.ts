import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { GossipService, OnGossipEvent, type GossipEvent, type GossipEventOf } from '../lib';
import { NODE_CONFIG, type NodeConfig } from './node-config';

/** One instance as the registry sees it. */
export interface Instance {
  id: string;
  http?: string;
  load?: number;
  status: 'live' | 'unreachable' | 'left';
}

/**
 * A tiny service registry on top of gossip: each instance publishes its HTTP
 * address (`http`) and a load figure (`load`, refreshed every second), and
 * reads everybody else's from the gossiped state.
 */
@Injectable()
export class RegistryService implements OnApplicationShutdown {
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly gossip: GossipService,
    @Inject(NODE_CONFIG) config: NodeConfig,
  ) {
    this.logger = new Logger(config.id);
  }

  /** Called once the HTTP server listens (the address is known then). */
  publish(httpAddr: string): void {
    this.gossip.upsertLocal('http', httpAddr);
    this.publishLoad();
    this.timer = setInterval(() => this.publishLoad(), 1000);
    this.timer.unref();
  }

  instances(): Instance[] {
    return this.gossip.nodes().map((meta) => {
      const state = this.gossip.node(meta.id);
      const value = (key: string) => state?.entries.find((e) => e.key === key && !e.deleted)?.value;
      const load = value('load');
      return {
        id: meta.id,
        http: value('http'),
        load: load === undefined ? undefined : Number(load),
        // A pending node (known, not yet seen alive) is not offered as live.
        status: meta.status === 'alive' ? 'live' : meta.left ? 'left' : 'unreachable',
      };
    });
  }

  @OnGossipEvent('join')
  onJoin(event: GossipEvent): void {
    this.logger.log(`${event.nodeId} joined`);
  }

  @OnGossipEvent('upsert-key', { key: 'http' })
  onAddress(event: GossipEventOf<'upsert-key'>): void {
    this.logger.log(`${event.nodeId} serves ${event.value}`);
  }

  @OnGossipEvent('leave')
  onLeave(event: GossipEvent): void {
    this.logger.log(`${event.nodeId} left`);
  }

  @OnGossipEvent('unreachable')
  onUnreachable(event: GossipEvent): void {
    this.logger.warn(`${event.nodeId} is unreachable`);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private publishLoad(): void {
    if (this.gossip.status === 'left' || this.gossip.status === 'closed') return;
    // A made-up load figure: a random walk between 0 and 1.
    const previous = Number(
      this.gossip.localNode().entries.find((e) => e.key === 'load')?.value ?? 0.5,
    );
    const next = Math.min(1, Math.max(0, previous + (Math.random() - 0.5) / 5));
    this.gossip.upsertLocal('load', next.toFixed(2));
  }
}
