import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { types } from 'node:util';
import { firstValueFrom, timeout, type Subscription } from 'rxjs';
import { GossipConfigError, type MemberFilter } from '../../engine';
import { concreteAddressProblem } from '../../engine/config/option-rules';
import { parseHostPort } from '../../engine/vocabulary/address';
import { GossipDiscoveryService } from '../gossip-discovery.service';
import type { GossipEvent } from '../gossip-event';
import { GossipService } from '../gossip.service';
import {
  GOSSIP_CLIENTS_DEFAULTS,
  GOSSIP_CLIENTS_OPTIONS,
  type GossipClientsOptions,
} from './gossip-clients.options';

/** A request to a node failed in transport (refused, reset, timed out), not in its handler. */
export class GossipTransportError extends Error {
  constructor(
    readonly nodeId: string,
    override readonly cause: unknown,
  ) {
    super(
      `request to ${nodeId} failed: ${types.isNativeError(cause) ? cause.message : String(cause)}`,
    );
    this.name = 'GossipTransportError';
  }
}

/** Where `sendToOwner` went and what came back. */
export interface OwnerReply<R> {
  nodeId: string;
  result: R;
}

interface CachedClient {
  address: string;
  client: ClientProxy;
}

/**
 * One `ClientProxy` per cluster node, built from the address the node
 * advertises under `addressKey`. A client is created on first use and kept;
 * it is closed when the node leaves, is suspected unreachable, expires,
 * deletes or changes its address, or when a request to it fails in
 * transport (the next request builds a fresh one). Closed at shutdown.
 *
 * Provide it where `GossipService` is visible: `providers: [...provideGossipClients()]`.
 */
@Injectable()
export class GossipClients implements OnModuleInit, OnApplicationShutdown {
  /** The entry nodes advertise their address under. */
  readonly addressKey: string;
  private readonly logger = new Logger('GossipClients');
  private readonly clients = new Map<string, CachedClient>();
  private readonly createClient: (address: string, nodeId: string) => ClientProxy;
  private readonly timeoutMs: number;
  private subscription: Subscription | undefined;

  /** @internal Nest injects it. */
  constructor(
    private readonly gossip: GossipService,
    private readonly discovery: GossipDiscoveryService,
    @Optional() @Inject(GOSSIP_CLIENTS_OPTIONS) options: GossipClientsOptions = {},
  ) {
    this.addressKey = options.addressKey ?? GOSSIP_CLIENTS_DEFAULTS.addressKey;
    this.createClient = options.createClient ?? tcpClient;
    this.timeoutMs = options.timeout ?? GOSSIP_CLIENTS_DEFAULTS.timeout;
  }

  onModuleInit(): void {
    this.subscription = this.gossip.events$.subscribe((event) => this.onEvent(event));
  }

  /**
   * Advertises this node's microservice address (e.g. `10.0.0.5:4000`) to
   * the cluster. An address others cannot dial (`undefined:4000` from an
   * unset `POD_IP`, `0.0.0.0:4000`) throws `GossipConfigError` here, before
   * peers route to it; with `createClient`, only what reads as host:port is checked.
   */
  advertise(address: string): void {
    const custom = this.createClient !== tcpClient && !parseHostPort(String(address));
    const problem = custom ? undefined : concreteAddressProblem(address);
    if (problem) throw new GossipConfigError('advertise(address)', problem, address);
    this.gossip.upsertLocal(this.addressKey, address);
  }

  /** The filter that makes ownership consider only nodes with an address. */
  get reachableFilter(): MemberFilter {
    return { holding: this.addressKey };
  }

  /** The live node owning `key` among those advertising an address (`GossipDiscoveryService.owner`). */
  owner(key: string): string | undefined {
    return this.discovery.owner(key, this.reachableFilter);
  }

  /** The address a live node advertises, if any. */
  addressOf(nodeId: string): string | undefined {
    return this.discovery.holder(this.addressKey, nodeId)?.value;
  }

  /** The client for `nodeId` (created once), or undefined when it is not live or has no address. */
  client(nodeId: string): ClientProxy | undefined {
    const address = this.addressOf(nodeId);
    if (address === undefined) {
      this.drop(nodeId);
      return undefined;
    }
    const cached = this.clients.get(nodeId);
    if (cached?.address === address) return cached.client;
    this.drop(nodeId);
    const client = this.createClient(address, nodeId);
    this.clients.set(nodeId, { address, client });
    return client;
  }

  /** Ids of the nodes that have an open client, sorted (for diagnostics and tests). */
  openClients(): string[] {
    return [...this.clients.keys()].sort();
  }

  /**
   * Sends `pattern` to `nodeId` and resolves with the first reply. A
   * transport failure (refused, reset, timeout) closes that client and
   * rejects with `GossipTransportError`; an error raised by the remote
   * handler is passed through unchanged.
   */
  async send<R = unknown>(nodeId: string, pattern: unknown, data: unknown): Promise<R> {
    const client = this.client(nodeId);
    if (!client) throw new GossipTransportError(nodeId, new Error('not live or no address'));
    try {
      return await firstValueFrom(
        client.send<R>(pattern, data).pipe(timeout({ first: this.timeoutMs })),
      );
    } catch (err) {
      // Nest delivers handler errors as plain objects; Error objects come from the
      // transport (isNativeError, not instanceof: socket errors may come from another realm).
      if (!types.isNativeError(err)) throw err;
      this.drop(nodeId);
      throw new GossipTransportError(nodeId, err);
    }
  }

  /** Sends to the owner of `key` (among nodes with an address); see `send`. */
  async sendToOwner<R = unknown>(
    key: string,
    pattern: unknown,
    data: unknown,
  ): Promise<OwnerReply<R>> {
    const nodeId = this.owner(key);
    if (nodeId === undefined) {
      throw new GossipTransportError(
        '(none)',
        new Error(`no live node advertises ${this.addressKey}`),
      );
    }
    return { nodeId, result: await this.send<R>(nodeId, pattern, data) };
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    for (const id of [...this.clients.keys()]) this.drop(id);
  }

  private onEvent(event: GossipEvent): void {
    switch (event.type) {
      case 'leave':
      case 'unreachable':
      case 'expired':
        this.drop(event.nodeId);
        break;
      case 'delete-key':
        if (event.key === this.addressKey) this.drop(event.nodeId);
        break;
      case 'upsert-key':
        if (
          event.key === this.addressKey &&
          this.clients.get(event.nodeId)?.address !== event.value
        )
          this.drop(event.nodeId);
        break;
    }
  }

  private drop(nodeId: string): void {
    const cached = this.clients.get(nodeId);
    if (!cached) return;
    this.clients.delete(nodeId);
    try {
      cached.client.close();
    } catch (err) {
      this.logger.warn(`closing the client of ${nodeId} failed: ${(err as Error).message}`);
    }
  }
}

/** The default: Nest's TCP transport to `host:port` (IPv6 as `[::1]:4000`). */
function tcpClient(address: string): ClientProxy {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!match)
    throw new TypeError(`microservice address must be host:port (got ${JSON.stringify(address)})`);
  return ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: match[1], port: Number(match[2]) },
  });
}
