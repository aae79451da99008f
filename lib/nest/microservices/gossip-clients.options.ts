import type { ClientProxy } from '@nestjs/microservices';

/** Injection token of the `GossipClients` options. */
export const GOSSIP_CLIENTS_OPTIONS = Symbol('GOSSIP_CLIENTS_OPTIONS');

export interface GossipClientsOptions {
  /**
   * The entry each node advertises its microservice address under
   * (`host:port` for TCP). Only nodes holding it get a client, and only they
   * are candidates for `owner`. Default `rpc`.
   */
  addressKey?: string;
  /**
   * Builds the client for one node from its advertised address. Default: the
   * TCP transport (`ClientProxyFactory.create({ transport: Transport.TCP, options: { host, port } })`).
   */
  createClient?: (address: string, nodeId: string) => ClientProxy;
  /** How long `send` waits for a reply before it counts as a failure (ms). Default 5000. */
  timeout?: number;
}

export const GOSSIP_CLIENTS_DEFAULTS = {
  addressKey: 'rpc',
  timeout: 5000,
} as const;
