import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import { firstExternalIPv4, formatHostPort, isUnspecified, parseHostPort } from './address';
import type { Clock } from './clock';
import { systemClock } from './clock';
import { GossipConfigError } from './errors';
import type { Resolver } from './resolver';
import { systemResolver } from './resolver';
import type { TransportFactory } from './transport';
import type { GossipLogger, Watcher } from './types';
import { decodeSecretKey } from './keyring';

/** Options of `Gossip.create`. Durations are milliseconds, sizes bytes. */
export interface GossipOptions {
  /** `host:port`; `:port` binds every interface; port 0 picks a free one. */
  bindAddr: string;
  /** Unique in the cluster. Default `<hostname>-<random>`. */
  nodeId?: string;
  /** `host:port` peers use to reach us. Default: the bind IP, or this host's first non-internal IPv4. */
  advertiseAddr?: string;
  /** Nodes with another cluster id are refused. Default `default`. */
  clusterId?: string;
  /** Gossip round period. Default 100. */
  interval?: number;
  /** Largest UDP datagram we send or accept. Default 1400. */
  maxPacketSize?: number;
  /** How long a left or unreachable node is kept before it is dropped. Default 60000. */
  nodeExpiry?: number;
  /** Phi accrual threshold above which a node is unreachable. Default 8. */
  phiThreshold?: number;
  /** How long a tombstone is kept before garbage collection. Default 60000. */
  tombstoneGracePeriod?: number;
  /** How often DNS names given to `join` are resolved again. Default 30000. */
  resolveInterval?: number;
  /** AES-256-GCM keys (32 bytes, or base64/hex of 32 bytes). The first encrypts, all decrypt. */
  secretKeys?: Array<string | Uint8Array>;
  /** prom-client registry for the metrics. Default: a private registry. */
  registry?: Registry;
  /** Metric name prefix. Default `gossip_`. */
  metricsPrefix?: string;
  watcher?: Watcher;
  logger?: GossipLogger;
  /** Longest key, in UTF-8 bytes. Default 512. */
  maxKeySize?: number;
  /** Longest value, in UTF-8 bytes. Default 1 MiB. */
  maxValueSize?: number;
  /** Entries (tombstones included) kept per node. Default 100000. */
  maxEntriesPerNode?: number;
  /** Nodes kept, this one included. Default 10000. */
  maxNodes?: number;
  /** Largest TCP message. Default 64 MiB. */
  maxStreamSize?: number;
  /** Inbound TCP streams served at once; more are closed at once. Default 64. */
  maxInboundStreams?: number;
  /** A TCP stream must deliver its message (or reply) within this time. Default 5000. */
  streamTimeout?: number;
  /** Test hooks: time, network, randomness and DNS. */
  clock?: Clock;
  transport?: TransportFactory;
  random?: () => number;
  resolver?: Resolver;
}

export interface ResolvedOptions {
  bindAddr: string;
  bindHost: string;
  bindPort: number;
  nodeId: string;
  advertiseHost: string;
  /** Explicit advertise port, or undefined to use the bound port. */
  advertisePort: number | undefined;
  clusterId: string;
  interval: number;
  maxPacketSize: number;
  nodeExpiry: number;
  phiThreshold: number;
  tombstoneGracePeriod: number;
  resolveInterval: number;
  secretKeys: Buffer[];
  registry: Registry | undefined;
  metricsPrefix: string;
  watcher: Watcher | undefined;
  logger: GossipLogger | undefined;
  maxKeySize: number;
  maxValueSize: number;
  maxEntriesPerNode: number;
  maxNodes: number;
  maxStreamSize: number;
  maxInboundStreams: number;
  streamTimeout: number;
  clock: Clock;
  transport: TransportFactory | undefined;
  random: () => number;
  resolver: Resolver;
}

export const DEFAULTS = {
  clusterId: 'default',
  interval: 100,
  maxPacketSize: 1400,
  nodeExpiry: 60_000,
  phiThreshold: 8,
  tombstoneGracePeriod: 60_000,
  resolveInterval: 30_000,
  metricsPrefix: 'gossip_',
  maxKeySize: 512,
  maxValueSize: 1024 * 1024,
  maxEntriesPerNode: 100_000,
  maxNodes: 10_000,
  maxStreamSize: 64 * 1024 * 1024,
  maxInboundStreams: 64,
  streamTimeout: 5000,
} as const;

/** The smallest packet size that still holds a header, a digest entry and an entry. */
export const MIN_PACKET_SIZE = 512;
/** The largest UDP payload over IPv4. */
export const MAX_PACKET_SIZE = 65_507;

/** Checks every option and fills defaults; throws GossipConfigError naming the first bad field. */
export function resolveOptions(options: GossipOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new GossipConfigError('options', 'must be an object', options);
  }
  const bind = parseHostPort(String(options.bindAddr ?? ''));
  if (typeof options.bindAddr !== 'string' || !bind) {
    throw new GossipConfigError(
      'bindAddr',
      'must be host:port (":port" for all interfaces)',
      options.bindAddr,
    );
  }
  let advertiseHost: string;
  let advertisePort: number | undefined;
  if (options.advertiseAddr !== undefined) {
    const adv =
      typeof options.advertiseAddr === 'string' ? parseHostPort(options.advertiseAddr) : undefined;
    if (!adv || adv.host === '' || isUnspecified(adv.host) || adv.port === 0) {
      throw new GossipConfigError(
        'advertiseAddr',
        'must be host:port with a concrete host and a non-zero port',
        options.advertiseAddr,
      );
    }
    advertiseHost = adv.host;
    advertisePort = adv.port;
  } else {
    advertiseHost = isUnspecified(bind.host) ? firstExternalIPv4() : bind.host;
  }

  const nodeId = options.nodeId ?? `${hostname()}-${randomBytes(4).toString('hex')}`;
  if (typeof nodeId !== 'string' || nodeId.length === 0 || Buffer.byteLength(nodeId) > 256) {
    throw new GossipConfigError(
      'nodeId',
      'must be a non-empty string of at most 256 bytes',
      nodeId,
    );
  }
  const clusterId = options.clusterId ?? DEFAULTS.clusterId;
  if (typeof clusterId !== 'string' || Buffer.byteLength(clusterId) > 256) {
    throw new GossipConfigError('clusterId', 'must be a string of at most 256 bytes', clusterId);
  }

  const interval = integer(options, 'interval', DEFAULTS.interval, 1, 3_600_000);
  const maxPacketSize = integer(
    options,
    'maxPacketSize',
    DEFAULTS.maxPacketSize,
    MIN_PACKET_SIZE,
    MAX_PACKET_SIZE,
  );
  const nodeExpiry = integer(
    options,
    'nodeExpiry',
    DEFAULTS.nodeExpiry,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const tombstoneGracePeriod = integer(
    options,
    'tombstoneGracePeriod',
    DEFAULTS.tombstoneGracePeriod,
    0,
    Number.MAX_SAFE_INTEGER,
  );
  const resolveInterval = integer(
    options,
    'resolveInterval',
    DEFAULTS.resolveInterval,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const phiThreshold = options.phiThreshold ?? DEFAULTS.phiThreshold;
  if (typeof phiThreshold !== 'number' || !Number.isFinite(phiThreshold) || phiThreshold <= 0) {
    throw new GossipConfigError('phiThreshold', 'must be a positive number', phiThreshold);
  }
  const maxKeySize = integer(options, 'maxKeySize', DEFAULTS.maxKeySize, 1, 65_535);
  const maxValueSize = integer(
    options,
    'maxValueSize',
    DEFAULTS.maxValueSize,
    0,
    256 * 1024 * 1024,
  );
  const maxEntriesPerNode = integer(
    options,
    'maxEntriesPerNode',
    DEFAULTS.maxEntriesPerNode,
    1,
    100_000_000,
  );
  const maxNodes = integer(options, 'maxNodes', DEFAULTS.maxNodes, 1, 10_000_000);
  const maxStreamSize = integer(
    options,
    'maxStreamSize',
    DEFAULTS.maxStreamSize,
    1024,
    2 ** 31 - 1,
  );
  const maxInboundStreams = integer(
    options,
    'maxInboundStreams',
    DEFAULTS.maxInboundStreams,
    1,
    100_000,
  );
  const streamTimeout = integer(options, 'streamTimeout', DEFAULTS.streamTimeout, 1, 3_600_000);
  if (maxValueSize + maxKeySize > maxStreamSize) {
    throw new GossipConfigError(
      'maxStreamSize',
      'must be larger than maxKeySize + maxValueSize',
      maxStreamSize,
    );
  }

  const metricsPrefix = options.metricsPrefix ?? DEFAULTS.metricsPrefix;
  if (typeof metricsPrefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/.test(metricsPrefix)) {
    throw new GossipConfigError(
      'metricsPrefix',
      'must be a valid Prometheus name prefix',
      metricsPrefix,
    );
  }

  const secretKeys = options.secretKeys === undefined ? [] : resolveSecretKeys(options.secretKeys);

  for (const hook of ['watcher', 'logger', 'registry', 'clock'] as const) {
    const value = options[hook];
    if (value !== undefined && (value === null || typeof value !== 'object')) {
      throw new GossipConfigError(hook, 'must be an object', value);
    }
  }
  for (const hook of ['transport', 'random', 'resolver'] as const) {
    const value = options[hook];
    if (value !== undefined && typeof value !== 'function') {
      throw new GossipConfigError(hook, 'must be a function', value);
    }
  }

  return {
    bindAddr: formatHostPort(bind.host, bind.port),
    bindHost: bind.host,
    bindPort: bind.port,
    nodeId,
    advertiseHost,
    advertisePort,
    clusterId,
    interval,
    maxPacketSize,
    nodeExpiry,
    phiThreshold,
    tombstoneGracePeriod,
    resolveInterval,
    secretKeys,
    registry: options.registry,
    metricsPrefix,
    watcher: options.watcher,
    logger: options.logger,
    maxKeySize,
    maxValueSize,
    maxEntriesPerNode,
    maxNodes,
    maxStreamSize,
    maxInboundStreams,
    streamTimeout,
    clock: options.clock ?? systemClock,
    transport: options.transport,
    random: options.random ?? Math.random,
    resolver: options.resolver ?? systemResolver,
  };
}

/** Decodes `secretKeys`; throws GossipConfigError naming the first bad key. */
export function resolveSecretKeys(keys: unknown): Buffer[] {
  if (!Array.isArray(keys)) {
    throw new GossipConfigError('secretKeys', 'must be an array of 32-byte keys', keys);
  }
  return keys.map((key: unknown, i) => {
    const decoded = decodeSecretKey(key);
    if (!decoded) {
      throw new GossipConfigError(`secretKeys[${i}]`, 'must be 32 bytes (raw, base64 or hex)', key);
    }
    return decoded;
  });
}

function integer<K extends keyof GossipOptions>(
  options: GossipOptions,
  field: K,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = options[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new GossipConfigError(field, `must be an integer from ${min} to ${max}`, value);
  }
  return value;
}
