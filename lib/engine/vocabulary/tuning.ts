/** The options timing and sizing derive from (resolved options satisfy it). */
export interface TuningInputs {
  interval: number;
  nodeExpiry: number;
  phiThreshold: number;
  streamTimeout: number;
}

/** How one observer judges one subject from its pings; see docs/protocol.md, "Failure detection". */
export interface ProbeTuning {
  /**
   * -log10 of the chance that a live subject behind a link with the learned
   * loss misses this many pings in a row: the level at which this observer
   * accuses it. Two observers must agree (see reachability.ts), so the
   * cluster's false-accusation chance is about the square of this.
   */
  level: number;
  /** Floor of the learned miss rate: loopback loses nothing, yet a GC pause must not read as death. */
  minMissRate: number;
  /** Ceiling of the learned miss rate: past it, misses say too little to ever accuse. */
  maxMissRate: number;
  /** Miss rate assumed for a new link, until its pings have taught us better. */
  initialMissRate: number;
  /** Weight of one outcome in the moving estimate (1/32: about the last 32 pings). */
  learningRate: number;
  /** Standard errors added to the estimate, so a lucky stretch does not make us hasty. */
  caution: number;
  /** Never accuse on fewer misses than this (one lost datagram is not a death; the engine: 2 rounds of ticks). */
  minMisses: number;
  /**
   * A run is certain (this observer may convict alone) at this multiple of
   * `level`: 2, as unlikely as the two observers of the quorum agreeing by chance.
   */
  certainFactor: number;
  /**
   * An observer whose other live links all went silent (cut off: the trouble
   * may be its own) convicts alone only after this many certain runs: 2.
   */
  cutOffFactor: number;
  /**
   * A subject heard from during its run of misses (its heartbeats arrive,
   * only our pings go unanswered) lives: it is accused of not hearing us
   * only at this multiple of the certain bar (2), not at the suspect bar.
   * At the onset of heavy loss this is the common case, and a deaf node
   * is rare.
   */
  deafFactor: number;
  /**
   * Weight of one outcome in the fast estimate each link keeps for the
   * observer's other links (1/4: the last few pings). Loss that starts
   * everywhere shows on every link at once, long before the slow estimates
   * learn it; a crash shows on one.
   */
  localHealthRate: number;
  /** Pings remembered per link: an ack for any of the last 4 is proof of life. */
  recentPings: number;
  /** Ticks a ping is remembered: an ack up to 8 ticks late (the engine: 8 to 16 rounds, since a quiet node ticks on regular rounds only) is still proof of life. */
  pingMemoryTicks: number;
  /** Ticks a detector is kept after its subject left our watch: the ring moves back and forth during churn. */
  detectorMemoryTicks: number;
  /**
   * Milliseconds without a subject's heartbeat before it counts as a miss:
   * its period plus half a round (two rounds of jitter and a late timer).
   */
  beatDeadline: number;
  /**
   * A subject on heartbeats is still pinged on one regular tick in this
   * many: a heartbeat shows only its way to us, and a node that can send
   * but not hear must miss something to be accused.
   */
  verifyEvery: number;
}

export const DEFAULT_PROBE_TUNING: ProbeTuning = {
  level: 4,
  minMissRate: 0.01,
  maxMissRate: 0.9,
  initialMissRate: 0.1,
  learningRate: 1 / 32,
  caution: 2,
  minMisses: 2,
  certainFactor: 2,
  cutOffFactor: 2,
  deafFactor: 2,
  localHealthRate: 1 / 4,
  recentPings: 4,
  pingMemoryTicks: 8,
  detectorMemoryTicks: 100,
  // For a probe period of 200 ms in rounds of 100 ms (the engine derives them).
  beatDeadline: 250,
  verifyEvery: 5,
};

/**
 * Timing and sizing rules derived from the options, in one place. Each
 * field says why it has its value; nothing else in the engine invents a
 * duration, a count or a byte size (the fixed ones are the constants at the
 * end of this file; the wire's own field sizes are in codec/).
 */
export interface Tuning {
  /** While a change is this recent (10 rounds), every round opens an exchange: long enough for pushes to reach everyone. */
  hotWindow: number;
  /**
   * A change is named in every Syn's digest for 5 rounds, half of
   * `hotWindow`: news pushes have carried it to nearly everyone by then,
   * and each name is a digest entry every receiver decodes and merges,
   * mostly known to it already (200 sequential joins: Syns of 619 bytes on
   * average with 10 rounds, 478 with 5). A node still missing one learns it from a
   * summary that differs (probes and exchanges carry ours), as for any
   * older change.
   */
  hotDigestWindow: number;
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
  /**
   * Observers per node on the monitoring ring (each node pings this many
   * every round): two, so that one observer with a bad link cannot make a
   * node unreachable alone, while the cost per node stays flat with N.
   */
  watchers: number;
  /**
   * Probe ticks per round: 2. Each tick judges the pings of the tick before
   * (an answer takes far less than half a round) and pings again a subject
   * that missed: a crash is confirmed at two pings a round.
   */
  probeTicks: number;
  /**
   * Rounds between regular pings: 2, so each watched node is pinged every
   * 200 ms at the default interval (about 20 tiny datagrams a second per
   * node) while it answers; only a subject missing pings is pinged every tick.
   */
  probeEvery: number;
  /** How one observer judges a run of unanswered pings; its level is half the phi threshold, as two must agree. */
  probe: ProbeTuning;
  /** One ping in 4 carries our summary: enough to notice a missed push within a couple of rounds, at 10 bytes a ping. */
  summaryEvery: number;
  /**
   * A quiet cluster opens an exchange with a random peer every 50 rounds, as
   * a safety net under news push and the summaries probes carry (one in
   * `summaryEvery`, which already finds a missed push within a second).
   */
  antiEntropyEvery: number;
  /** Nodes never seen alive, pinged each round (a joiner learns many at once; the rest wait their turn). */
  unprovenPerTick: number;
  /**
   * A probe from an address where we know no node counts as that node's
   * proof of life if we learn of it within 30 rounds (a joiner pings every
   * member at once; gossip of it takes a few rounds to reach them all, more
   * in a join storm), so they need not ping it back (liveness/introductions.ts).
   */
  introductionMemory: number;
  /** Peers pushed to at once when this node learns something new. */
  newsFanout: number;
  /**
   * Peers pushed to at once when this node has just come to hold a node
   * unreachable. Each node pushes a piece of news once, so about N·e^-(f·p)
   * nodes never hear a push (f peers, p the chance an exchange gets through:
   * 0.73 at 10% loss) and wait for the round exchanges: with 2 that is 40%
   * of the cluster, with 6 about 12 of 1,000 nodes, with 10 about one. A
   * one-off cost per crash (N = 1000, 10% loss: the last survivor 107-135 ms
   * after the quorum with 10, up to 860 ms with 6).
   */
  verdictFanout: number;
  /** News pushes are coalesced to at most one per half interval: a burst of writes is one push. */
  newsCoalesce: number;
  /**
   * While news keeps coming (a join storm: every join is news on every
   * node), the wait between pushes doubles up to this, and falls back to
   * `newsCoalesce` after a quiet wait this long. The round exchanges carry
   * the news meanwhile. Liveness news (a verdict, an accusation) is pushed
   * without the longer wait.
   */
  newsCoalesceMax: number;
  /**
   * Relayed news that lasts (a long run of joins, every node writing every
   * second): once `newsBurst` such pushes (4) went out within `hotWindow`,
   * the next waits `newsCoalesceLong` (3 intervals) after the last. The
   * rounds exchange every round meanwhile, so the news still spreads, and a
   * node's pushes stay few however long the news lasts (memberlist gossips
   * at a fixed rate). Liveness news and our own writes never wait for it.
   */
  newsCoalesceLong: number;
  newsBurst: number;
  /** Peers told of a leave at once, and how many such batches are tried before giving up. */
  leaveFanout: number;
  leaveBatches: number;
  /**
   * Background syncs at once: one. A node missing a large state hears
   * "truncated" from every peer it talks to; one full sync at a time
   * fetches it once instead of decoding it several times in parallel.
   */
  maxSyncs: number;
  /**
   * A difference in state that datagram exchanges cannot place (a node one
   * side never heard of, missing from the other's partial digest) is settled
   * by a TCP sync, at most once a second (10 rounds: a join storm's gaps
   * close within a second or two). Each such sync that leaves the difference
   * in place doubles the wait, up to 30 s (memberlist's LAN push-pull
   * period), so a difference no sync can mend costs little.
   */
  unplacedSyncEvery: number;
  unplacedSyncMax: number;
  /** One log line per key this often: a flood must not become a log flood. */
  logEvery: number;
  /** Longest piece of a peer's error text put into ours. */
  maxRemoteText: number;
  /** A probe tick later than half its period means our process stalled: its unanswered pings are not judged. */
  maxLateness: number;
  /** Each round waits the interval ±10% at random, so nodes started together do not stay in step. */
  roundJitter: number;
  /**
   * Decoded arrays may exceed the largest of `maxNodes` and
   * `maxEntriesPerNode` by 16: the limits themselves are enforced when a
   * delta is merged (with a reason), the decoder only refuses the absurd.
   */
  arrayLengthSlack: number;
  /** A SynAck gives half its room to the delta, the rest to its digest (both sides then owe each other). */
  synAckDeltaShare: number;
  /**
   * An address we do not know (its source may be spoofed) gets a reply at
   * most twice the size of what it sent: no use as a traffic amplifier.
   */
  maxAmplification: number;
  /**
   * A Deliver that failed is sent again after one interval, then twice as
   * long each time up to 20 intervals (2 s by default): a target that stays
   * a live member yet does not answer is usually found unreachable within
   * that time, and then its messages are dropped rather than retried.
   */
  messageRetryMin: number;
  messageRetryMax: number;
  /**
   * A query handler answers within 90% of `streamTimeout` (or the asker's
   * remaining time, if shorter): the serving side closes a stream at
   * `streamTimeout`, so a later answer could not be sent; the rest is left
   * for reading the request and writing the reply.
   */
  maxHandlerTime: number;
  /**
   * Messages a live target has failed to acknowledge for `nodeExpiry` (1
   * min by default) are dropped (`refused`): a node that answers pings yet
   * refuses every Deliver for as long as a dead node is remembered is
   * treated as gone, so nothing waits forever for it.
   */
  messageGiveUp: number;
}

export function deriveTuning(opts: TuningInputs): Tuning {
  const interval = opts.interval;
  const probeTicks = 2;
  const probeEvery = 2;
  return {
    hotWindow: 10 * interval,
    hotDigestWindow: 5 * interval,
    wantLifetime: 10 * interval,
    ghostMemory: 3 * opts.nodeExpiry + 10 * interval,
    gcEvery: 1000,
    streamSlack: 1024,
    fixedFieldsSlack: 40,
    watchers: 2,
    probeTicks,
    probeEvery,
    // Counts of ticks. At least 4 rounds of silence to accuse: longer than
    // leadership's staleness (5 rounds, less a round's lateness), so a paused
    // leader stops trusting itself before its successor can take over.
    probe: {
      ...DEFAULT_PROBE_TUNING,
      level: opts.phiThreshold / 2,
      minMisses: 4 * probeTicks,
      recentPings: DEFAULT_PROBE_TUNING.recentPings * probeTicks,
      pingMemoryTicks: DEFAULT_PROBE_TUNING.pingMemoryTicks * probeTicks,
      detectorMemoryTicks: DEFAULT_PROBE_TUNING.detectorMemoryTicks * probeTicks,
      beatDeadline: (probeEvery + 0.5) * interval,
    },
    summaryEvery: 4,
    antiEntropyEvery: 50,
    unprovenPerTick: 64,
    introductionMemory: 30 * interval,
    newsFanout: 3,
    verdictFanout: 10,
    newsCoalesce: interval / 2,
    newsCoalesceMax: interval,
    newsCoalesceLong: 3 * interval,
    newsBurst: 4,
    leaveFanout: 3,
    leaveBatches: 3,
    maxSyncs: 1,
    unplacedSyncEvery: 10 * interval,
    unplacedSyncMax: 300 * interval,
    logEvery: 10_000,
    maxRemoteText: 200,
    maxLateness: interval / probeTicks / 2,
    roundJitter: 0.1,
    arrayLengthSlack: 16,
    synAckDeltaShare: 0.5,
    maxAmplification: 2,
    messageRetryMin: interval,
    messageRetryMax: 20 * interval,
    maxHandlerTime: Math.floor(0.9 * opts.streamTimeout),
    messageGiveUp: opts.nodeExpiry,
  };
}

// Fixed numbers of the data structures, which no option moves.

/** Records remembered as recent news (the hot list a Syn names first). */
export const MAX_HOT_RECORDS = 16;

/**
 * A record's version log is compacted once more than 64 of its items, and
 * more than half of them, are superseded: rare enough to cost nothing per
 * write, often enough to keep the log within twice the live entries.
 */
export const LOG_COMPACT_MIN_STALE = 64;
export const LOG_COMPACT_STALE_SHARE = 0.5;

/** The floor of the default inbound stream budget: twice the default `maxStreamSize` (64 MiB). */
export const DEFAULT_STREAM_BUDGET = 128 * 1024 * 1024;
/** Unless set, the stream budget holds twice the largest `maxStreamSize`: one largest message always fits beside others. */
export const STREAM_BUDGET_HEADROOM = 2;
/** Bounds of an explicit stream budget: below 1 KiB no request fits; above 2^52 byte sums lose integer precision. */
export const MIN_STREAM_BUDGET = 1024;
export const MAX_STREAM_BUDGET = 2 ** 52;

/**
 * Room a stream message keeps around user messages: cluster id and node ids
 * (256 bytes each at most), counters, array headers and sealing, generously.
 * `maxMessageSize` is at most `maxStreamSize` less this, so one message of
 * the largest size always fits in a Deliver.
 */
export const MESSAGE_ENVELOPE_BYTES = 4096;
/**
 * Bytes counted per user message beside its payload and topic: its seq (up
 * to 9) and the item, topic and payload headers (up to 1 + 3 + 5), rounded
 * up. Small messages are not free in the backlog either.
 */
export const MESSAGE_ITEM_OVERHEAD = 24;
/** User messages per Deliver at most: a batch is acknowledged as a whole, so a lost one is not huge to resend. */
export const MAX_DELIVER_BATCH = 256;

/**
 * Owner answers a node remembers between membership changes: 16,384 keys
 * (about 1 MB), past a service's usual working set of tenants, jobs or
 * shards. When full the cache starts over; a miss costs one hash per member.
 */
export const OWNER_CACHE_ANSWERS = 16_384;
