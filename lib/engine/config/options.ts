import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import {
  firstExternalIPv4,
  formatHostPort,
  isUnspecified,
  parseHostPort,
} from '../vocabulary/address';
import type { Clock } from '../vocabulary/clock';
import { systemClock } from '../io/system-clock';
import { GossipConfigError } from '../vocabulary/errors';
import { MESSAGE_ENVELOPE_BYTES } from '../vocabulary/tuning';
import type { Resolver } from '../io/resolver';
import { systemResolver } from '../io/resolver';
import type { TransportFactory } from '../vocabulary/transport';
import type { GossipLogger, Watcher } from '../vocabulary/types';
import { decodeSecretKey } from '../codec/keyring';
import {
  type OptionProblem,
  type OptionRule,
  CONCRETE_ADDRESS,
  addressRule,
  hookRule,
  integerRule,
  positiveNumberRule,
  secretKeysRule,
  stringRule,
} from './option-rules';

/**
 * Options of `Gossip.create`. Durations are milliseconds, sizes bytes.
 * At run time numeric strings and comma-separated lists (as read from the
 * environment) are converted too; `GossipModule`'s option type accepts them
 * (`FromEnvironment<GossipOptions>`).
 */
export interface GossipOptions {
  /** `host:port` for UDP and TCP (one port); `:port` binds every interface; port 0 picks a free one. Required. */
  bindAddr: string;
  /** Unique in the cluster, at most 256 bytes. Default `<hostname>-<random>`. */
  nodeId?: string;
  /** `host:port` peers use to reach us. Default: the bind IP, or this host's first non-internal IPv4. */
  advertiseAddr?: string;
  /** Nodes with another cluster id are refused. Default `default`. */
  clusterId?: string;
  /** Gossip round period, ms (±10 % jitter). Default 100. */
  interval?: number;
  /** Largest UDP datagram we send or accept, 512 to 65507. Default 1400. */
  maxPacketSize?: number;
  /** How long a left or unreachable node is kept before it is dropped, ms. Default 60000. */
  nodeExpiry?: number;
  /** -log10 of the chance a live node is called unreachable: two observers accuse at half of it each, one alone needs all of it (see docs/protocol.md). Default 8. */
  phiThreshold?: number;
  /** How long a tombstone is kept before garbage collection, ms. Default 60000. */
  tombstoneGracePeriod?: number;
  /** How often DNS names given to `join` are resolved again, ms. Default 30000. */
  resolveInterval?: number;
  /** AES-256-GCM keys (32 bytes, or base64/hex of 32 bytes; a string is split on commas). The first seals, all open. */
  secretKeys?: Array<string | Uint8Array>;
  /**
   * prom-client registry for the metrics. Default for `Gossip.create`: a
   * private registry (`gossip.metrics.registry`). `GossipModule` sets it
   * itself (prom-client's global registry; see its `metrics` option).
   */
  registry?: Registry;
  /** Metric name prefix. Default `gossip_`. */
  metricsPrefix?: string;
  /** Callbacks for remote membership and entry changes; `Gossip.subscribe` gives the same as `GossipEvent` objects. */
  watcher?: Watcher;
  /** debug/warn/error logger. Default: warnings and errors on the console. */
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
  /** A TCP stream must deliver its message (or reply) within this time, ms. Default 5000. */
  streamTimeout?: number;
  /**
   * Largest message `publish`, `send` or `query` takes: its encoded payload
   * plus its topic, bytes. Default `maxStreamSize` less 4 KiB (room for the
   * envelope); at most that.
   */
  maxMessageSize?: number;
  /**
   * Bytes of messages not yet acknowledged by every target; past it
   * `publish`/`send` refuse (`backlog`). One message always fits when none
   * is pending. Default 16 MiB.
   */
  maxPendingMessageBytes?: number;
  /** Messages not yet acknowledged by every target; past it `publish`/`send` refuse (`backlog`). Default 10000. */
  maxPendingMessages?: number;
  /** Test hook: time source (the simulator's virtual clock). */
  clock?: Clock;
  /** Test hook: the network (the simulator's in-memory network). */
  transport?: TransportFactory;
  /** Test hook: randomness in [0, 1). */
  random?: () => number;
  /** Test hook: DNS lookups. */
  resolver?: Resolver;
}

/**
 * Options only tests and the simulator set; `GossipModule` leaves them out of its option type.
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export type GossipTestHook = 'clock' | 'transport' | 'random' | 'resolver';

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
  maxMessageSize: number;
  maxPendingMessageBytes: number;
  maxPendingMessages: number;
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
  maxPendingMessageBytes: 16 * 1024 * 1024,
  maxPendingMessages: 10_000,
} as const;

/** The smallest packet size that still holds a header, a digest entry and an entry. */
export const MIN_PACKET_SIZE = 512;
/** The largest UDP payload over IPv4. */
export const MAX_PACKET_SIZE = 65_507;
const MAX = Number.MAX_SAFE_INTEGER;

/**
 * Every engine option: its rule (type, bounds, message), its default and
 * how an environment string converts. `resolveOptions` checks against it and
 * the Nest module's class-validator rules are built from it, so an option
 * behaves alike whichever way it is given.
 */
export const GOSSIP_OPTION_RULES: { readonly [K in keyof GossipOptions]-?: OptionRule } = {
  bindAddr: { ...addressRule('must be host:port (":port" for all interfaces)'), required: true },
  nodeId: stringRule('must be a non-empty string of at most 256 bytes', 1, 256),
  advertiseAddr: addressRule(CONCRETE_ADDRESS, true),
  clusterId: stringRule('must be a string of at most 256 bytes', 0, 256, DEFAULTS.clusterId),
  interval: integerRule(1, 3_600_000, DEFAULTS.interval, 'ms'),
  maxPacketSize: integerRule(MIN_PACKET_SIZE, MAX_PACKET_SIZE, DEFAULTS.maxPacketSize),
  nodeExpiry: integerRule(1, MAX, DEFAULTS.nodeExpiry, 'ms'),
  phiThreshold: positiveNumberRule(DEFAULTS.phiThreshold),
  tombstoneGracePeriod: integerRule(0, MAX, DEFAULTS.tombstoneGracePeriod, 'ms'),
  resolveInterval: integerRule(1, MAX, DEFAULTS.resolveInterval, 'ms'),
  secretKeys: secretKeysRule(),
  registry: hookRule('object'),
  metricsPrefix: stringRule(
    'must be a valid Prometheus name prefix',
    0,
    256,
    DEFAULTS.metricsPrefix,
    /^$|^[a-zA-Z_:][a-zA-Z0-9_:]*$/,
  ),
  watcher: hookRule('object'),
  logger: hookRule('object'),
  maxKeySize: integerRule(1, 65_535, DEFAULTS.maxKeySize),
  maxValueSize: integerRule(0, 256 * 1024 * 1024, DEFAULTS.maxValueSize),
  maxEntriesPerNode: integerRule(1, 100_000_000, DEFAULTS.maxEntriesPerNode),
  maxNodes: integerRule(1, 10_000_000, DEFAULTS.maxNodes),
  maxStreamSize: integerRule(1024, 2 ** 31 - 1, DEFAULTS.maxStreamSize),
  maxInboundStreams: integerRule(1, 100_000, DEFAULTS.maxInboundStreams),
  streamTimeout: integerRule(1, 3_600_000, DEFAULTS.streamTimeout, 'ms'),
  maxMessageSize: integerRule(1, 2 ** 31 - 1),
  maxPendingMessageBytes: integerRule(1, MAX, DEFAULTS.maxPendingMessageBytes),
  maxPendingMessages: integerRule(1, 100_000_000, DEFAULTS.maxPendingMessages),
  clock: hookRule('object'),
  transport: hookRule('function'),
  random: hookRule('function'),
  resolver: hookRule('function'),
};

/**
 * Rules between options, checked once each option alone is valid; a broken
 * one is reported under `name`. `resolveOptions` and the Nest DTO both read
 * this list.
 */
export const GOSSIP_OPTION_LINKS: ReadonlyArray<{
  readonly name: keyof GossipOptions;
  problem(options: Readonly<Record<string, unknown>>): OptionProblem | undefined;
}> = [
  {
    name: 'maxStreamSize',
    problem: ({ maxKeySize, maxValueSize, maxStreamSize }) =>
      typeof maxKeySize === 'number' &&
      typeof maxValueSize === 'number' &&
      typeof maxStreamSize === 'number' &&
      maxValueSize + maxKeySize > maxStreamSize
        ? { rule: 'must be larger than maxKeySize + maxValueSize', value: maxStreamSize }
        : undefined,
  },
  {
    name: 'maxMessageSize',
    problem: ({ maxMessageSize, maxStreamSize }) =>
      typeof maxMessageSize === 'number' &&
      typeof maxStreamSize === 'number' &&
      maxMessageSize > maxStreamSize - MESSAGE_ENVELOPE_BYTES
        ? {
            rule: `must be at most maxStreamSize - ${MESSAGE_ENVELOPE_BYTES} (room for the envelope)`,
            value: maxMessageSize,
          }
        : undefined,
  },
];

/**
 * The value of option `name` from `options`, converted from an environment
 * string and checked against `rules[name]`; the rule's default when absent.
 * Throws `GossipConfigError` naming the option (and the entry of a list).
 */
export function checkOption<T>(
  rules: Readonly<Record<string, OptionRule>>,
  options: object,
  name: string,
): T {
  const rule = rules[name];
  const given = (options as Record<string, unknown>)[name];
  if (given === undefined && !rule.required) return rule.default as T;
  const value = rule.coerce(given);
  const problem = rule.problem(value);
  if (problem)
    throw new GossipConfigError(name + (problem.field ?? ''), problem.rule, problem.value);
  return value as T;
}

/** Option objects a caller already converted and checked against the table (the Nest DTO). */
const validated = new WeakSet<object>();

/**
 * Tells `resolveOptions` that `options` were converted and checked against
 * `GOSSIP_OPTION_RULES` and `GOSSIP_OPTION_LINKS` already, so it only fills
 * defaults: the Nest module validates once, at bootstrap. The object itself
 * is marked (not a copy of it), so mark the one passed to `Gossip.create`.
 */
export function markValidated<T extends GossipOptions>(options: T): T {
  validated.add(options);
  return options;
}

/** Checks every option and fills defaults; throws GossipConfigError naming the first bad field. */
export function resolveOptions(options: GossipOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new GossipConfigError('options', 'must be an object', options);
  }
  const trusted = validated.has(options);
  const given = options as unknown as Record<string, unknown>;
  const get = <T>(name: keyof GossipOptions): T =>
    trusted
      ? ((given[name] ?? GOSSIP_OPTION_RULES[name].default) as T)
      : checkOption<T>(GOSSIP_OPTION_RULES, options, name);
  const bindAddr = get<string>('bindAddr');
  const bind = parseHostPort(bindAddr) as { host: string; port: number };
  const advertiseAddr = get<string | undefined>('advertiseAddr');
  const advertise = advertiseAddr === undefined ? undefined : parseHostPort(advertiseAddr);
  const nodeId =
    get<string | undefined>('nodeId') ?? `${hostname()}-${randomBytes(4).toString('hex')}`;

  const resolved: ResolvedOptions = {
    bindAddr: formatHostPort(bind.host, bind.port),
    bindHost: bind.host,
    bindPort: bind.port,
    nodeId,
    advertiseHost: advertise?.host ?? (isUnspecified(bind.host) ? firstExternalIPv4() : bind.host),
    advertisePort: advertise?.port,
    clusterId: get('clusterId'),
    interval: get('interval'),
    maxPacketSize: get('maxPacketSize'),
    nodeExpiry: get('nodeExpiry'),
    phiThreshold: get('phiThreshold'),
    tombstoneGracePeriod: get('tombstoneGracePeriod'),
    resolveInterval: get('resolveInterval'),
    secretKeys: decodeSecretKeys(get<Array<string | Uint8Array> | undefined>('secretKeys') ?? []),
    registry: get('registry'),
    metricsPrefix: get('metricsPrefix'),
    watcher: get('watcher'),
    logger: get('logger'),
    maxKeySize: get('maxKeySize'),
    maxValueSize: get('maxValueSize'),
    maxEntriesPerNode: get('maxEntriesPerNode'),
    maxNodes: get('maxNodes'),
    maxStreamSize: get('maxStreamSize'),
    maxInboundStreams: get('maxInboundStreams'),
    streamTimeout: get('streamTimeout'),
    maxMessageSize:
      get<number | undefined>('maxMessageSize') ??
      get<number>('maxStreamSize') - MESSAGE_ENVELOPE_BYTES,
    maxPendingMessageBytes: get('maxPendingMessageBytes'),
    maxPendingMessages: get('maxPendingMessages'),
    clock: get<Clock | undefined>('clock') ?? systemClock,
    transport: get('transport'),
    random: get<(() => number) | undefined>('random') ?? Math.random,
    resolver: get<Resolver | undefined>('resolver') ?? systemResolver,
  };
  if (!trusted) {
    for (const link of GOSSIP_OPTION_LINKS) {
      const problem = link.problem(resolved as unknown as Record<string, unknown>);
      if (problem) throw new GossipConfigError(link.name, problem.rule, problem.value);
    }
  }
  return resolved;
}

/** Decodes `secretKeys` (an array, or a comma-separated string); throws GossipConfigError naming the first bad key. */
export function resolveSecretKeys(keys: unknown): Buffer[] {
  return decodeSecretKeys(
    checkOption<Array<string | Uint8Array>>(
      GOSSIP_OPTION_RULES,
      { secretKeys: keys },
      'secretKeys',
    ),
  );
}

/** Keys already checked against the `secretKeys` rule, as 32-byte buffers. */
function decodeSecretKeys(keys: Array<string | Uint8Array>): Buffer[] {
  return keys.map((key) => decodeSecretKey(key) as Buffer);
}
