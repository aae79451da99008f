import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { Subscription, filter } from 'rxjs';
import { type GossipEvent, matchesGossipFilter } from './gossip-event';
import { GossipEventBus } from './gossip-event-bus';
import { GossipMetadataAccessor } from './gossip-metadata.accessor';
import type { OnGossipEventMetadata } from './on-gossip-event.decorator';

/**
 * Finds every `@OnGossipEvent` method of the application's providers and
 * controllers and subscribes it to the event bus. `GossipLifecycle` calls
 * `loadSubscribers()` at bootstrap, before the bus releases held events and
 * before the node joins, so no handler misses an early event.
 */
@Injectable()
export class GossipSubscribersLoader implements OnApplicationShutdown {
  private readonly logger = new Logger('GossipModule');
  private readonly subscriptions: Subscription[] = [];
  private loaded = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: GossipMetadataAccessor,
    private readonly bus: GossipEventBus,
  ) {}

  /** Subscribes every handler once; returns how many were bound. */
  loadSubscribers(): number {
    if (this.loaded) return 0;
    this.loaded = true;
    let count = 0;
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    // An instance is bound once, however many tokens (aliases, useExisting) lead to it.
    const seen = new Set<object>();
    for (const wrapper of wrappers) {
      const { instance } = wrapper;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance);
      if (!prototype) continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const metadata = this.accessor.getEventHandlerMetadata(prototype[method]);
        if (!metadata) continue;
        if (!wrapper.isDependencyTreeStatic()) {
          this.logger.warn(
            `@OnGossipEvent on ${handlerName(wrapper, method)} ignored: only singleton providers can handle gossip events`,
          );
          continue;
        }
        for (const entry of metadata) {
          this.subscribe(
            instance as Record<string, unknown>,
            method,
            handlerName(wrapper, method),
            entry,
          );
          count++;
        }
      }
    }
    return count;
  }

  onApplicationShutdown(): void {
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
  }

  private subscribe(
    instance: Record<string, unknown>,
    method: string,
    name: string,
    metadata: OnGossipEventMetadata,
  ): void {
    const subscription = this.bus.remote$
      .pipe(filter((event) => event.type === metadata.type && this.passes(name, event, metadata)))
      .subscribe((event) => this.invoke(instance, method, name, event));
    this.subscriptions.push(subscription);
  }

  private passes(name: string, event: GossipEvent, metadata: OnGossipEventMetadata): boolean {
    try {
      return matchesGossipFilter(event, metadata.filter);
    } catch (err) {
      this.fail(name, event, err);
      return false;
    }
  }

  private invoke(
    instance: Record<string, unknown>,
    method: string,
    name: string,
    event: GossipEvent,
  ): void {
    try {
      const result = (instance[method] as (e: GossipEvent) => unknown).call(instance, event);
      if (isThenable(result)) result.then(undefined, (err: unknown) => this.fail(name, event, err));
    } catch (err) {
      this.fail(name, event, err);
    }
  }

  private fail(name: string, event: GossipEvent, err: unknown): void {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.logger.error(
      `@OnGossipEvent handler ${name} failed on ${event.type} from ${event.nodeId}: ${detail}`,
    );
  }
}

export function handlerName(wrapper: InstanceWrapper, method: string): string {
  const owner =
    (wrapper.metatype as { name?: string } | undefined)?.name ??
    (typeof wrapper.name === 'string' ? wrapper.name : 'anonymous');
  return `${owner}.${method}`;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
