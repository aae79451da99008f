import { hash64 } from '../vocabulary/hash';
import { MissRate, ProbeDetector, ProbeTuning } from './probe-detector';

/** A node to ping: its id (the ping names it, so another process on a reused address does not answer for it) and address. */
export interface ProbeTarget {
  id: string;
  addr: string;
  /** Held alive by us now (only links to live nodes count for local health). */
  alive?: boolean;
  /** Held unreachable by us now: a new detector for it starts suspecting it. */
  convicted?: boolean;
}

/** A ping to send: `target` is the 16-bit tag of the id the pinged node must have to answer. */
export interface OutgoingPing {
  addr: string;
  seq: number;
  target: number;
}

/** What we keep per watched link. */
interface Link {
  detector: ProbeDetector;
  lastWatched: number;
  /** Whether we held the subject alive when we last pinged it. */
  alive: boolean;
  /** The tick the current run of misses began, and the tick of the last miss. */
  runStart: number;
  lastMiss: number;
  /** Its heartbeats arrive on time: regular pings only verify now and then that it hears us. */
  beating: boolean;
  /** When its last heartbeat arrived. */
  heardAt: number;
  /** Regular ticks while watched: every `verifyEvery`-th pings a subject on heartbeats. */
  regularTicks: number;
}

/** The 16-bit tag of a node id, carried in pings (enough to tell a new process on an old address). */
export function idTag(id: string): number {
  let tag = tags.get(id);
  if (tag === undefined) {
    if (tags.size >= MAX_CACHED_TAGS) tags.clear();
    tag = hash64(id).lo & 0xffff;
    tags.set(id, tag);
  }
  return tag;
}

/** Tags already computed: every ping and heartbeat, sent or received, needs one. */
const tags = new Map<string, number>();
const MAX_CACHED_TAGS = 100_000;

/**
 * The probing half of failure detection (no I/O). Every node sends a
 * heartbeat each probe period to the nodes that watch it (its observers on
 * the monitoring ring; see Liveness). An observer's link to a subject runs
 * on them while they arrive: a heartbeat later than `beatDeadline` is a
 * miss, and the link falls back to pings, at every tick until one is
 * answered (the confirmation of SWIM's ping/ack), then at the regular rate
 * until heartbeats flow again. A heartbeat shows only the way from the
 * subject to us, so one regular tick in `verifyEvery` pings it anyway: a
 * node that can send but not hear misses those and is accused. A subject
 * that does not count us among its observers (it has not learned of us
 * yet) sends no heartbeats and is pinged every period, as are nodes we
 * accuse and nodes heard of but never seen alive (their first ack is the
 * proof of life that makes them members). One ProbeDetector per subject
 * counts the misses; the liveness module turns its suspicions into
 * accusations.
 */
export class Prober {
  /** Every detector we keep, watched now or lately, and the tick each was last watched. */
  private readonly detectors = new Map<string, Link>();
  private readonly watchedNow = new Map<string, ProbeDetector>();
  private readonly outstanding = new Map<number, { id: string; addr: string; tick: number }>();
  private readonly nodeRate: MissRate;
  private tickCount = 0;
  private seq: number;

  constructor(
    private readonly tuning: ProbeTuning,
    random: () => number,
  ) {
    this.nodeRate = new MissRate(tuning);
    this.seq = Math.floor(random() * 0x10000);
  }

  /**
   * One probe tick (every round that runs, and between rounds while a
   * link is in a run of misses): judges the previous pings and whether heartbeats are on
   * time (unless `onTime` is false: our process ran late, so silence says
   * nothing), forgets subjects no longer watched, and returns the pings to
   * send now: on `regular` ticks to every subject not on heartbeats (and
   * now and then to one that is), and at every tick to subjects missing
   * pings or heartbeats.
   */
  tick(
    now: number,
    onTime: boolean,
    subjects: ProbeTarget[],
    unproven: ProbeTarget[],
    regular = true,
  ): OutgoingPing[] {
    this.tickCount++;
    for (const [seq, ping] of this.outstanding) {
      if (this.tickCount - ping.tick > this.tuning.pingMemoryTicks) this.outstanding.delete(seq);
    }
    const localLoss = this.localLoss();
    this.watchedNow.clear();
    const pings: OutgoingPing[] = [];
    for (const s of subjects) {
      const kept = this.link(s);
      kept.lastWatched = this.tickCount;
      kept.alive = s.alive !== false;
      const detector = kept.detector;
      this.watchedNow.set(s.id, detector);
      // Every tick judges the last ping (an answer takes far less than a
      // round), and, on a link on heartbeats, whether the last came in time.
      const before = detector.misses;
      detector.localLoss = localLoss.without(s.id);
      detector.tick(onTime);
      if (
        kept.beating &&
        !detector.pending &&
        onTime &&
        now - kept.heardAt > this.tuning.beatDeadline
      ) {
        detector.missed();
        kept.beating = false;
      }
      if (detector.misses > before) {
        kept.lastMiss = this.tickCount;
        if (before === 0) kept.runStart = this.tickCount;
      }
      if (regular) kept.regularTicks++;
      // A silence is confirmed by a ping at every tick until it is answered.
      const due =
        detector.misses > 0 ||
        (regular && (!kept.beating || kept.regularTicks % this.tuning.verifyEvery === 0));
      if (due) pings.push(this.ping(s, detector));
    }
    // A subject the ring took from us keeps its evidence for a while, in case it comes back.
    for (const [id, kept] of this.detectors) {
      if (this.tickCount - kept.lastWatched > this.tuning.detectorMemoryTicks)
        this.detectors.delete(id);
    }
    if (regular) for (const u of unproven) if (!this.watchedNow.has(u.id)) pings.push(this.ping(u));
    return pings;
  }

  /** A heartbeat from `id` (checked by the caller to come from its address): its link runs on them. */
  heard(id: string, now: number): void {
    const link = this.detectors.get(id);
    if (!link) return;
    link.detector.heartbeat(link.beating);
    link.heardAt = now;
    link.beating = true;
  }

  private link(s: ProbeTarget): Link {
    let kept = this.detectors.get(s.id);
    if (!kept) {
      kept = {
        detector: new ProbeDetector(this.tuning, this.nodeRate),
        lastWatched: 0,
        alive: true,
        runStart: 0,
        lastMiss: -Infinity,
        beating: false,
        heardAt: -Infinity,
        regularTicks: 0,
      };
      if (s.convicted) kept.detector.presumeSilent();
      this.detectors.set(s.id, kept);
    }
    return kept;
  }

  /** An ack from `addr`: the id of the node it proves alive, or undefined when it answers no ping of ours. */
  acked(addr: string, seq: number): string | undefined {
    const ping = this.outstanding.get(seq);
    if (!ping || ping.addr !== addr) return undefined;
    this.outstanding.delete(seq);
    this.detectors.get(ping.id)?.detector.acked(seq);
    return ping.id;
  }

  /** Whether the link to `id` missed anything at this tick or the one before (else its verdict input is unchanged). */
  moved(id: string): boolean {
    const link = this.detectors.get(id);
    return !link || link.detector.misses > 0 || link.lastMiss >= this.tickCount - 1;
  }

  /** True when this node, watching `id`, finds its silence too long for a live node (enough to accuse). */
  suspects(id: string): boolean {
    return this.watchedNow.get(id)?.suspects ?? false;
  }

  /** True when the silence of `id` passed the whole threshold: this node alone is sure. */
  certain(id: string): boolean {
    const link = this.detectors.get(id);
    if (!link || !this.watchedNow.has(id) || !link.detector.certain) return false;
    // Local health: if another node we hold alive also missed pings since
    // this run began, the trouble may be our own network (loss that just
    // started everywhere): leave the verdict to the quorum. Unless every such
    // link has gone silent for good: then we are cut off, and alone we judge.
    const others = this.otherLiveLinks(id);
    if (others.every((o) => o.lastMiss < link.runStart)) return true;
    return (
      this.cutOff(others) &&
      link.detector.misses >= this.tuning.cutOffFactor * link.detector.certainBar
    );
  }

  /**
   * The loss our live links (watched at the last tick) see right now, as
   * each link's other links see it: the highest `lossEvidence` among the
   * rest (local health: loss on every link is ours, not the subjects').
   */
  private localLoss(): { without(id: string): number } {
    let best = 0;
    let bestId: string | undefined;
    let second = 0;
    for (const [id, kept] of this.detectors) {
      if (!kept.alive || kept.lastWatched < this.tickCount - 1) continue;
      const loss = kept.detector.lossEvidence;
      if (loss > best) {
        second = best;
        best = loss;
        bestId = id;
      } else if (loss > second) second = loss;
    }
    return { without: (id) => (id === bestId ? second : best) };
  }

  /** The links to the other nodes we watch and hold alive. */
  private otherLiveLinks(id: string): Link[] {
    const others: Link[] = [];
    for (const [other, kept] of this.detectors)
      if (other !== id && kept.alive && this.watchedNow.has(other)) others.push(kept);
    return others;
  }

  /** Every other live link is deep in silence too: we are the one cut off. */
  private cutOff(others: Link[]): boolean {
    return others.length > 0 && others.every((o) => o.detector.misses >= o.detector.certainBar);
  }

  /** The node is gone from our state (expired, or a new incarnation): its evidence with it. */
  forget(id: string): void {
    this.detectors.delete(id);
    this.watchedNow.delete(id);
  }

  /** A ping to a node we learned of second hand and never saw alive: its ack makes it a member. */
  prove(target: ProbeTarget): OutgoingPing {
    return this.ping(target);
  }

  /** Whether a subject on heartbeats will have missed one by `at` (a round due then is not skipped). */
  overdue(at: number): boolean {
    for (const id of this.watchedNow.keys()) {
      const link = this.detectors.get(id);
      if (link?.beating && !link.detector.pending && at - link.heardAt > this.tuning.beatDeadline)
        return true;
    }
    return false;
  }

  /**
   * Whether a watched link is in a run of misses (its pings unanswered):
   * the ticks between rounds then judge and repeat it. A ping outside a
   * run (a regular one, answered within milliseconds) and a heartbeat that
   * may still come are judged by the next round: a tick armed for them
   * would almost always wake the process for nothing.
   */
  inRun(): boolean {
    for (const detector of this.watchedNow.values()) if (detector.misses > 0) return true;
    return false;
  }

  /** The subjects watched now and their detectors (for metrics). */
  watched(): ReadonlyMap<string, ProbeDetector> {
    return this.watchedNow;
  }

  private ping(target: ProbeTarget, detector?: ProbeDetector): OutgoingPing {
    // 16 bits: a ping is remembered for a few ticks, far less than 65,536 pings.
    this.seq = (this.seq + 1) & 0xffff;
    this.outstanding.set(this.seq, { id: target.id, addr: target.addr, tick: this.tickCount });
    detector?.sent(this.seq);
    return { addr: target.addr, seq: this.seq, target: idTag(target.id) };
  }
}
