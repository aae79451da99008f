import type { ResolvedOptions } from './options';

/** The numbers given to each node's FailureDetector; see failure-detector.ts. */
export interface DetectorTuning {
  initialInterval: number;
  minStdDev: number;
  acceptablePause: number;
  maxInterval: number;
  bootstrapPause: number;
}

/**
 * Timing and sizing rules derived from the options, in one place. Each
 * field says why it has its value; nothing else in the engine invents a
 * duration or a byte count.
 */
export interface Tuning {
  /** A change is news named in every Syn for 10 rounds: long enough for pushes to reach everyone. */
  hotWindow: number;
  /** A node named in a peer's digest that we lack is asked for during 10 rounds, then forgotten unless named again. */
  wantLifetime: number;
  /** An expired node is remembered until every peer has expired it too (3 expiries) plus 10 rounds of slack, so stale gossip cannot bring it back. */
  ghostMemory: number;
  /** Tombstones are collected (and ghost memory swept) at most once a second: it walks every record. */
  gcEvery: number;
  /** Room kept in a stream message for its fixed fields around the digest and delta. */
  streamSlack: number;
  /** Fixed fields of a datagram (cluster id, sender id, flags), generously bounded. */
  fixedFieldsSlack: number;
  /** Keyed heartbeats in a packet that also carries a vector (the vector covers the rest). */
  fewHeartbeats: number;
  /** Keyed heartbeats in a packet that cannot carry a vector (the peer's membership differs). */
  manyHeartbeats: number;
  /** Largest heartbeat vector: 2 bytes a node, so 250 nodes a packet; larger clusters take turns. */
  maxVectorBytes: number;
  /** Peers pushed to at once when this node learns something new. */
  newsFanout: number;
  /** News pushes are coalesced to at most one per half interval: a burst of writes is one push. */
  newsCoalesce: number;
  /** Peers told of a leave at once, and how many such batches are tried before giving up. */
  leaveFanout: number;
  leaveBatches: number;
  /** Background syncs at once: a flood of truncated acks (their source may be spoofed) must not open unbounded connections. */
  maxSyncs: number;
  /** One log line per key this often: a flood must not become a log flood. */
  logEvery: number;
  /** Longest piece of a peer's error text put into ours. */
  maxRemoteText: number;
  /**
   * Heartbeat news about a node arrives every round or two, less regularly
   * in a large cluster (compact lists cover it in turn): start from two
   * intervals, never assume less spread than one interval, always allow one
   * interval of lateness (a busy event loop is not a death), do not learn
   * gaps over 10 intervals (at least 2 s: a partition, a pause), and allow
   * ten more intervals until the first few heartbeats of a new node arrived.
   */
  detector: DetectorTuning;
}

export function deriveTuning(opts: ResolvedOptions): Tuning {
  const interval = opts.interval;
  return {
    hotWindow: 10 * interval,
    wantLifetime: 10 * interval,
    ghostMemory: 3 * opts.nodeExpiry + 10 * interval,
    gcEvery: 1000,
    streamSlack: 1024,
    fixedFieldsSlack: 40,
    fewHeartbeats: 4,
    manyHeartbeats: 24,
    maxVectorBytes: 512,
    newsFanout: 2,
    newsCoalesce: interval / 2,
    leaveFanout: 3,
    leaveBatches: 3,
    maxSyncs: 8,
    logEvery: 10_000,
    maxRemoteText: 200,
    detector: {
      initialInterval: 2 * interval,
      minStdDev: interval,
      acceptablePause: interval,
      maxInterval: Math.max(10 * interval, 2000),
      bootstrapPause: 10 * interval,
    },
  };
}
