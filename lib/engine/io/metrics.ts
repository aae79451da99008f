import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MessageDropReason } from '../messages/message-host';
import type { RejectReason } from '../vocabulary/reject-reason';

/** Label that keeps two nodes in one process apart in a shared registry. */
export const LOCAL_LABEL = 'local_node_id';

/** What a node reports when the gauges are scraped. */
export interface MetricsSource {
  localId: string;
  /** Entry counts per owner node. */
  entryCounts(): Iterable<{
    nodeId: string;
    live: number;
    deleted: number;
    internalLive: number;
    internalDeleted: number;
  }>;
  nodeCounts(): { live: number; unreachable: number; left: number };
  phiValues(): Iterable<{ nodeId: string; phi: number }>;
}

type Labels = Record<string, string>;

/** The metric objects of one registry, shared by every node that reports to it. */
class MetricSet {
  readonly sources = new Set<MetricsSource>();
  /** Each node's counts not yet handed to prom-client, per counter: flushed when it is read. */
  readonly pending = new Map<CounterName, Set<PendingCount>>();
  /** Round durations not yet handed to prom-client, per node: flushed when the histogram is read. */
  readonly pendingRounds = new Set<PendingRounds>();
  readonly counters: Record<CounterName, Counter<string>>;
  readonly rejected: Counter<string>;
  readonly roundDuration: Histogram<string>;
  readonly messagesDropped: Counter<string>;
  readonly messageSpread: Histogram<string>;
  readonly entries: Gauge<string>;
  readonly nodes: Gauge<string>;
  readonly phi: Gauge<string>;

  constructor(registry: Registry, prefix: string) {
    const sources = this.sources;
    const counter = (name: string, help: string, labelNames: string[] = []): Counter<string> =>
      new Counter({
        name: prefix + name,
        help,
        labelNames: [LOCAL_LABEL, ...labelNames],
        registers: [registry],
      });
    this.counters = {} as Record<CounterName, Counter<string>>;
    for (const [key, [name, help]] of Object.entries(COUNTERS) as [
      CounterName,
      [string, string],
    ][]) {
      const pending = new Set<PendingCount>();
      this.pending.set(key, pending);
      this.counters[key] = new Counter({
        name: prefix + name,
        help,
        labelNames: [LOCAL_LABEL],
        registers: [registry],
        collect() {
          for (const count of pending) count.flush();
        },
      });
    }
    this.rejected = counter('rejected_total', 'Messages and entries refused, by reason.', [
      'reason',
    ]);
    this.roundDuration = new Histogram({
      name: prefix + 'round_duration_seconds',
      help: 'Time spent building and sending one gossip round.',
      labelNames: [LOCAL_LABEL],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
      registers: [registry],
      collect: () => {
        for (const rounds of this.pendingRounds) rounds.flush();
      },
    });
    this.messagesDropped = counter(
      'messages_dropped_total',
      'Messages dropped unacknowledged (target gone, restarted, closed) or received by another generation, by reason.',
      ['reason'],
    );
    this.messageSpread = new Histogram({
      name: prefix + 'message_spread_seconds',
      help: 'Time from publish until every member it was sent to acknowledged it.',
      labelNames: [LOCAL_LABEL],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.entries = entriesGauge(registry, prefix, sources);
    this.nodes = nodesGauge(registry, prefix, sources);
    this.phi = phiGauge(registry, prefix, sources);
  }
}

/** Entries held per owner node, split by tombstone and internal; read from every source at scrape. */
function entriesGauge(
  registry: Registry,
  prefix: string,
  sources: Set<MetricsSource>,
): Gauge<string> {
  return new Gauge({
    name: prefix + 'entries',
    help: 'Entries held, by owner node.',
    labelNames: [LOCAL_LABEL, 'node_id', 'deleted', 'internal'],
    registers: [registry],
    collect() {
      this.reset();
      for (const source of sources) {
        for (const c of source.entryCounts()) {
          const base = { [LOCAL_LABEL]: source.localId, node_id: c.nodeId };
          this.set({ ...base, deleted: 'false', internal: 'false' }, c.live);
          this.set({ ...base, deleted: 'true', internal: 'false' }, c.deleted);
          this.set({ ...base, deleted: 'false', internal: 'true' }, c.internalLive);
          this.set({ ...base, deleted: 'true', internal: 'true' }, c.internalDeleted);
        }
      }
    },
  });
}

/** Known nodes by status, read from every source at scrape. */
function nodesGauge(
  registry: Registry,
  prefix: string,
  sources: Set<MetricsSource>,
): Gauge<string> {
  return new Gauge({
    name: prefix + 'nodes',
    help: 'Known nodes (this one included), by status.',
    labelNames: [LOCAL_LABEL, 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const source of sources) {
        const counts = source.nodeCounts();
        for (const status of ['live', 'unreachable', 'left'] as const) {
          this.set({ [LOCAL_LABEL]: source.localId, status }, counts[status]);
        }
      }
    },
  });
}

/** The failure detector's suspicion of each remote node, read from every source at scrape. */
function phiGauge(registry: Registry, prefix: string, sources: Set<MetricsSource>): Gauge<string> {
  return new Gauge({
    name: prefix + 'phi',
    help: 'Failure detector suspicion level per remote node.',
    labelNames: [LOCAL_LABEL, 'node_id'],
    registers: [registry],
    collect() {
      this.reset();
      for (const source of sources) {
        for (const p of source.phiValues())
          this.set({ [LOCAL_LABEL]: source.localId, node_id: p.nodeId }, p.phi);
      }
    },
  });
}

const COUNTERS = {
  connectionsInbound: ['connections_inbound_total', 'TCP streams accepted.'],
  streamBytesInbound: ['stream_bytes_inbound_total', 'Bytes read from TCP streams.'],
  packetBytesInbound: ['packet_bytes_inbound_total', 'Bytes of UDP packets received.'],
  connectionsOutbound: ['connections_outbound_total', 'TCP streams opened.'],
  streamBytesOutbound: ['stream_bytes_outbound_total', 'Bytes written to TCP streams.'],
  packetBytesOutbound: ['packet_bytes_outbound_total', 'Bytes of UDP packets sent.'],
  digestEntriesInbound: ['digest_entries_inbound_total', 'Digest entries received.'],
  deltaEntriesInbound: ['delta_entries_inbound_total', 'Delta entries received.'],
  digestEntriesOutbound: ['digest_entries_outbound_total', 'Digest entries sent.'],
  deltaEntriesOutbound: ['delta_entries_outbound_total', 'Delta entries sent.'],
  packetsInbound: ['packets_inbound_total', 'UDP packets received.'],
  packetsOutbound: ['packets_outbound_total', 'UDP packets sent.'],
  messagesSent: ['messages_sent_total', 'Messages published or sent (gossip.messages), once each.'],
  messagesReceived: ['messages_received_total', 'Messages handed to subscribers.'],
  messageDuplicates: [
    'messages_duplicate_total',
    'Messages received again (a resend) and not handed on.',
  ],
  queriesSent: ['queries_sent_total', 'Members asked by queries (this node included).'],
  queriesAnswered: ['queries_answered_total', 'Answers received to queries.'],
  queriesTimedOut: ['queries_timed_out_total', 'Queries that reached their timeout.'],
} as const;
type CounterName = keyof typeof COUNTERS;

const DROP_REASONS: readonly MessageDropReason[] = [
  'gone',
  'restarted',
  'closed',
  'refused',
  'stale',
];

const sets = new WeakMap<Registry, Map<string, MetricSet>>();

function metricSet(registry: Registry, prefix: string): MetricSet {
  let byPrefix = sets.get(registry);
  if (!byPrefix) {
    byPrefix = new Map();
    sets.set(registry, byPrefix);
  }
  let set = byPrefix.get(prefix);
  if (!set) {
    set = new MetricSet(registry, prefix);
    byPrefix.set(prefix, set);
  }
  return set;
}

/** Minimal counter handle bound to this node's label. */
export interface BoundCounter {
  inc(value?: number): void;
}

/** One node's round durations, kept until the histogram is read (a round costs a push, not a label lookup). */
class PendingRounds {
  private readonly seconds: number[] = [];

  constructor(private readonly observe: (seconds: number) => void) {}

  add(seconds: number): void {
    this.seconds.push(seconds);
    // Never scraped: keep memory bounded by handing them over now and then.
    if (this.seconds.length >= MAX_PENDING_ROUNDS) this.flush();
  }

  flush(): void {
    for (const s of this.seconds) this.observe(s);
    this.seconds.length = 0;
  }
}
const MAX_PENDING_ROUNDS = 1024;

/**
 * One node's series of a counter, counted in a plain number and handed to
 * prom-client when the counter is read: a datagram costs an addition, not
 * a label lookup (several per packet, thousands of packets a second).
 */
class PendingCount implements BoundCounter {
  private count = 0;

  constructor(private readonly series: BoundCounter) {}

  inc(value = 1): void {
    this.count += value;
  }

  flush(): void {
    if (this.count === 0) return;
    this.series.inc(this.count);
    this.count = 0;
  }
}

/**
 * The metrics of one node. The prom-client objects live in `registry` and
 * may be shared with other nodes of the process; this node's series carry
 * `local_node_id`.
 */
export class GossipMetrics {
  readonly registry: Registry;
  private readonly set: MetricSet;
  private readonly labels: Labels;
  private readonly rejectedByReason = new Map<string, BoundCounter>();
  private readonly counts = new Map<CounterName, PendingCount>();
  private readonly rounds: PendingRounds;
  readonly connectionsInbound: BoundCounter;
  readonly streamBytesInbound: BoundCounter;
  readonly packetBytesInbound: BoundCounter;
  readonly connectionsOutbound: BoundCounter;
  readonly streamBytesOutbound: BoundCounter;
  readonly packetBytesOutbound: BoundCounter;
  readonly digestEntriesInbound: BoundCounter;
  readonly deltaEntriesInbound: BoundCounter;
  readonly digestEntriesOutbound: BoundCounter;
  readonly deltaEntriesOutbound: BoundCounter;
  readonly packetsInbound: BoundCounter;
  readonly packetsOutbound: BoundCounter;
  readonly messagesSent: BoundCounter;
  readonly messagesReceived: BoundCounter;
  readonly messageDuplicates: BoundCounter;
  readonly queriesSent: BoundCounter;
  readonly queriesAnswered: BoundCounter;
  readonly queriesTimedOut: BoundCounter;
  private readonly droppedByReason = new Map<string, BoundCounter>();

  /** @internal Built by the engine: read it as `gossip.metrics`. */
  constructor(
    private readonly source: MetricsSource,
    registry: Registry | undefined,
    prefix: string,
  ) {
    this.registry = registry ?? new Registry();
    this.set = metricSet(this.registry, prefix);
    this.labels = { [LOCAL_LABEL]: source.localId };
    this.set.sources.add(source);
    const bind = (name: CounterName): BoundCounter => {
      const series = this.set.counters[name].labels(this.labels);
      series.inc(0); // the series exists from the start, at 0
      const count = new PendingCount(series);
      this.set.pending.get(name)?.add(count);
      this.counts.set(name, count);
      return count;
    };
    this.connectionsInbound = bind('connectionsInbound');
    this.streamBytesInbound = bind('streamBytesInbound');
    this.packetBytesInbound = bind('packetBytesInbound');
    this.connectionsOutbound = bind('connectionsOutbound');
    this.streamBytesOutbound = bind('streamBytesOutbound');
    this.packetBytesOutbound = bind('packetBytesOutbound');
    this.digestEntriesInbound = bind('digestEntriesInbound');
    this.deltaEntriesInbound = bind('deltaEntriesInbound');
    this.digestEntriesOutbound = bind('digestEntriesOutbound');
    this.deltaEntriesOutbound = bind('deltaEntriesOutbound');
    this.packetsInbound = bind('packetsInbound');
    this.packetsOutbound = bind('packetsOutbound');
    const series = this.set.roundDuration.labels(this.labels);
    this.rounds = new PendingRounds((seconds) => series.observe(seconds));
    this.set.pendingRounds.add(this.rounds);
    this.messagesSent = bind('messagesSent');
    this.messagesReceived = bind('messagesReceived');
    this.messageDuplicates = bind('messageDuplicates');
    this.queriesSent = bind('queriesSent');
    this.queriesAnswered = bind('queriesAnswered');
    this.queriesTimedOut = bind('queriesTimedOut');
    // Every reason's series exists from the start, so rate() and the dashboard read 0, not nothing.
    for (const reason of DROP_REASONS) this.messagesDropped(reason, 0);
    this.set.messageSpread.zero(this.labels);
  }

  /** Counts `count` messages dropped for `reason` (`gone`, `restarted`, `refused`, `closed`, `stale`). */
  messagesDropped(reason: string, count: number): void {
    let counter = this.droppedByReason.get(reason);
    if (!counter) {
      counter = this.set.messagesDropped.labels({ ...this.labels, reason });
      this.droppedByReason.set(reason, counter);
    }
    counter.inc(count);
  }

  /** How many messages were dropped for `reason` (for tests and introspection). */
  async messagesDroppedCount(reason: string): Promise<number> {
    const data = await this.set.messagesDropped.get();
    const sample = data.values.find(
      (v) => v.labels[LOCAL_LABEL] === this.source.localId && v.labels.reason === reason,
    );
    return sample?.value ?? 0;
  }

  /** Seconds from a publish until every member it went to acknowledged it. */
  observeMessageSpread(seconds: number): void {
    this.set.messageSpread.observe(this.labels, seconds);
  }

  rejected(reason: RejectReason): void {
    let counter = this.rejectedByReason.get(reason);
    if (!counter) {
      counter = this.set.rejected.labels({ ...this.labels, reason });
      this.rejectedByReason.set(reason, counter);
    }
    counter.inc();
  }

  /** How many messages were refused for `reason` (for tests and introspection). */
  async rejectedCount(reason: string): Promise<number> {
    const data = await this.set.rejected.get();
    const sample = data.values.find(
      (v) => v.labels[LOCAL_LABEL] === this.source.localId && v.labels.reason === reason,
    );
    return sample?.value ?? 0;
  }

  observeRound(seconds: number): void {
    this.rounds.add(seconds);
  }

  /** Removes this node's series, so a closed node stops reporting. */
  detach(): void {
    this.set.sources.delete(this.source);
    for (const [name, count] of this.counts) this.set.pending.get(name)?.delete(count);
    this.set.pendingRounds.delete(this.rounds);
    for (const c of Object.values(this.set.counters)) c.remove(this.labels);
    for (const reason of this.rejectedByReason.keys())
      this.set.rejected.remove({ ...this.labels, reason });
    this.set.roundDuration.remove(this.labels);
    for (const reason of this.droppedByReason.keys())
      this.set.messagesDropped.remove({ ...this.labels, reason });
    this.set.messageSpread.remove(this.labels);
  }
}
