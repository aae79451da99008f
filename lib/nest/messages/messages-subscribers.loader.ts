import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { Subscription, filter } from 'rxjs';
import type { Gossip } from '../../engine';
import type { ClusterMessage, QueryHandler } from '../../engine';
import { GOSSIP_ENGINE } from '../constants';
import { handlerName, isThenable } from '../gossip-subscribers.loader';
import { ClusterMessageBus } from './cluster-message-bus';
import { MessagesMetadataAccessor } from './messages-metadata.accessor';
import { ALL_TOPICS } from './messages.constants';

/** One decorated method of one instance. */
interface Found {
  instance: Record<string, unknown>;
  method: string;
  /** `Class.method`, for logs and errors. */
  name: string;
}

/**
 * Finds every `@OnClusterMessage` and `@OnClusterQuery` method of the
 * application's providers and controllers. `GossipLifecycle` calls `load()`
 * at bootstrap, before the message bus releases held messages and before
 * the node joins: message handlers subscribe to the bus, query handlers
 * register with the engine (`gossip.messages.handle`). Two query handlers
 * for one name fail the bootstrap, naming both. Shutdown unregisters all.
 */
@Injectable()
export class MessagesSubscribersLoader implements OnApplicationShutdown {
  private readonly logger = new Logger('GossipModule');
  private readonly subscriptions: Subscription[] = [];
  private readonly unhandles: Array<() => void> = [];
  private loaded = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: MessagesMetadataAccessor,
    private readonly bus: ClusterMessageBus,
    @Inject(GOSSIP_ENGINE) private readonly engine: Gossip,
  ) {}

  /** Binds every handler once; throws (binding none) when two query handlers share a name. */
  load(): void {
    if (this.loaded) return;
    this.loaded = true;
    const messages: Array<Found & { topic: string }> = [];
    const queries = new Map<string, Found>();
    for (const found of this.decorated()) {
      for (const { topic } of this.accessor.messageHandlers(found.instance[found.method])) {
        messages.push({ ...found, topic });
      }
      for (const { name } of this.accessor.queryHandlers(found.instance[found.method])) {
        const other = queries.get(name);
        if (other) {
          throw new Error(
            `@OnClusterQuery(${JSON.stringify(name)}) is on both ${other.name} and ${found.name}: a query name has one handler per application`,
          );
        }
        queries.set(name, found);
      }
    }
    try {
      for (const [name, found] of queries) this.handle(name, found);
    } catch (err) {
      this.onApplicationShutdown();
      throw err;
    }
    for (const found of messages) this.subscribe(found);
  }

  onApplicationShutdown(): void {
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
    for (const unhandle of this.unhandles.splice(0)) unhandle();
  }

  /** Every singleton method carrying either decorator, each instance once. */
  private *decorated(): Generator<Found> {
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
        const fn: unknown = prototype[method];
        const decorated =
          this.accessor.messageHandlers(fn).length > 0 ||
          this.accessor.queryHandlers(fn).length > 0;
        if (!decorated) continue;
        if (!wrapper.isDependencyTreeStatic()) {
          this.warnNotSingleton(wrapper, method);
          continue;
        }
        yield {
          instance: instance as Record<string, unknown>,
          method,
          name: handlerName(wrapper, method),
        };
      }
    }
  }

  private handle(queryName: string, found: Found): void {
    let unhandle: () => void;
    try {
      unhandle = this.engine.messages.handle(queryName, this.answerer(queryName, found));
    } catch (err) {
      // E.g. a handler registered on the engine directly: say which method collided.
      throw new Error(
        `@OnClusterQuery(${JSON.stringify(queryName)}) on ${found.name}: ${(err as Error).message}`,
      );
    }
    this.unhandles.push(unhandle);
  }

  /** The engine's handler for `found`: its result is the answer, its throw an error answer. */
  private answerer(queryName: string, { instance, method, name }: Found): QueryHandler {
    return (payload, from) => {
      // The engine turns a throw or a rejection into an error answer (the asker sees it).
      const fail = (err: unknown): never => {
        this.logger.debug(
          `@OnClusterQuery handler ${name} failed on ${JSON.stringify(queryName)} from ${from}: ${describe(err)}`,
        );
        throw err;
      };
      try {
        const result = (instance[method] as (p: unknown, f: string) => unknown).call(
          instance,
          payload,
          from,
        );
        return isThenable(result) ? Promise.resolve(result).catch(fail) : result;
      } catch (err) {
        return fail(err);
      }
    };
  }

  private subscribe({ instance, method, name, topic }: Found & { topic: string }): void {
    const subscription = this.bus.messages$
      .pipe(filter((m) => topic === ALL_TOPICS || m.topic === topic))
      .subscribe((message) => this.invoke(instance, method, name, message));
    this.subscriptions.push(subscription);
  }

  private invoke(
    instance: Record<string, unknown>,
    method: string,
    name: string,
    message: ClusterMessage,
  ): void {
    const fail = (err: unknown) =>
      this.logger.error(
        `@OnClusterMessage handler ${name} failed on ${JSON.stringify(message.topic)} #${message.seq} from ${message.from}: ${describe(err)}`,
      );
    try {
      const result = (instance[method] as (m: ClusterMessage) => unknown).call(instance, message);
      if (isThenable(result)) result.then(undefined, fail);
    } catch (err) {
      fail(err);
    }
  }

  private warnNotSingleton(wrapper: InstanceWrapper, method: string): void {
    this.logger.warn(
      `@OnClusterMessage/@OnClusterQuery on ${handlerName(wrapper, method)} ignored: only singleton providers can handle cluster messages`,
    );
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
