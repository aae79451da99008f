import { Accusations, accusedIn, accuses } from './accusations';
import type { ClusterState } from '../state/cluster-state';
import { Ghosts } from './ghosts';
import { MonitoringRing, RingMember, ringMemberOf } from './monitoring-ring';
import type { NodeRecord } from '../state/node-record';
import type { Outcome } from '../state/outcome';
import type { Vitals } from '../state/vitals';
import type { NodeStatus } from '../vocabulary/types';
import { OutgoingPing, ProbeTarget, Prober, idTag } from './prober';
import { tally } from './reachability';
import { Introductions } from './introductions';
import { UnprovenRecords } from './unproven';
import type { Tuning } from '../vocabulary/tuning';

export interface LivenessLimits {
  nodeExpiry: number;
  /** Bounds the strangers' probes remembered as introductions. */
  maxNodes: number;
}

/**
 * The membership state machine. Every status change happens here and
 * returns its event into the given Outcome:
 *
 *   learned ──(proof of life)──> alive <──(quorum of accusers)──> unreachable
 *      │                          │                                │
 *      └──────────────────────────┴──> left (its own announcement) ┘
 *   pending, unreachable or left ──(nodeExpiry)──> expired: dropped, kept as a ghost
 *
 * Evidence: this node pings the few nodes it watches on the monitoring ring
 * (Prober); a run of unanswered pings too long for a live node makes it
 * accuse the subject (Accusations, gossiped as internal entries). A node is
 * unreachable when a quorum of its observers accuse it (reachability.ts),
 * or when we watch it ourselves and are certain. A node we learned of second
 * hand is pinged at once and becomes a member (`join`) only when it answers.
 * See docs/protocol.md, "Failure detection".
 */
export class Liveness {
  readonly prober: Prober;
  readonly selfTag: number;
  private readonly accusations: Accusations;
  private readonly ghosts: Ghosts;
  private readonly byAddr = new Map<string, NodeRecord>();
  private ring: MonitoringRing | undefined;
  /** The subjects the ring gives us (we may also ping nodes we still accuse): only these can make us certain. */
  private ringSubjects = new Set<string>();
  private ringStale = true;
  /** Bumped whenever the ring or a member's reachability changes; `subjectsAt`: the value our subjects were taken at. */
  private ringMoves = 0;
  private subjectsAt = -1;
  /** Everyone is judged again at the next tick (a node left the ring, or a record was replaced). */
  private everyone = true;
  /**
   * Nodes that became reachable or stopped being so since the last tick:
   * the members whose observers they may be (their ring successors up to
   * the k-th reachable) are judged again then, not everyone.
   */
  private readonly reachChanged = new Set<string>();
  private readonly dirty = new Set<string>();
  /** Learned second hand, to be pinged at once. */
  private readonly toProve: NodeRecord[] = [];
  /** Learned second hand and not yet seen alive: pinged in turn. */
  private readonly unproven: UnprovenRecords;
  /** Probes lately from addresses of nodes we did not know: proof of life when we learn of them. */
  private readonly introductions: Introductions;
  /** No record expires before this: the earliest expiry, lowered whenever one is set. */
  private nextExpiry = Infinity;
  /** Probes sent (pings and heartbeats): one in `summaryEvery` carries our summary. */
  private probes = 0;
  /** We came to hold a node unreachable since our last news push: the next one goes wider. */
  private verdictNews = false;
  /** An accusation was made, withdrawn or learned since the last news push. */
  private accusationNews = false;

  constructor(
    private readonly state: ClusterState,
    private readonly tuning: Tuning,
    private readonly limits: LivenessLimits,
    random: () => number,
  ) {
    this.prober = new Prober(tuning.probe, random);
    this.selfTag = idTag(state.self.id);
    this.unproven = new UnprovenRecords((id) => state.records.get(id));
    this.introductions = new Introductions(tuning.introductionMemory, limits.maxNodes);
    this.accusations = new Accusations(state.self, tuning.ghostMemory);
    this.ghosts = new Ghosts(tuning.ghostMemory);
    state.self.vitals.status = 'alive';
    state.self.vitals.evidenced = true;
  }

  /** The record living at `addr` (pings name no sender). */
  recordAt(addr: string): NodeRecord | undefined {
    return this.byAddr.get(addr);
  }

  // ------------------------------------------------------ records come and go

  /**
   * A node we did not hold appeared (or a new incarnation replaced one); it
   * starts `pending`. Not the `join` event: that fires when the node is
   * first shown alive (see judge). `firstHand`: it told us itself.
   */
  appeared(record: NodeRecord, now: number, firstHand: boolean, out: Outcome): void {
    const vitals = record.vitals;
    vitals.status = 'pending';
    this.expireLater(vitals, now);
    // Learned second hand, but it pinged us moments ago from that address: that was its proof of life.
    if (!firstHand && this.introductions.take(record.addr, idTag(record.id), now)) {
      firstHand = true;
      vitals.contacts++;
    }
    vitals.evidenced = firstHand;
    this.ghosts.delete(record.id);
    this.byAddr.set(record.addr, record);
    // A new member is pending, so it votes in no one's tally: only the ring moves, nobody else's verdict.
    if (this.ring && !this.ringStale && !record.left) {
      this.ring.add(ringMemberOf(record));
      this.ringMoves++;
    } else this.ringStale = true;
    this.dirty.add(record.id);
    if (!firstHand) {
      this.toProve.push(record);
      this.unproven.add(record);
    }
    if (record.left) this.left(record, now, out);
  }

  /** The old incarnation of a node was replaced by a newer one: report it gone first. */
  replacedIncarnation(old: NodeRecord, out: Outcome): void {
    this.forget(old);
    if (old.vitals.announced) out.event({ type: 'expired', nodeId: old.id });
  }

  /** The same incarnation was reset (after tombstone collection): its liveness carries over. */
  reset(old: NodeRecord, next: NodeRecord): void {
    next.vitals = old.vitals;
    this.unproven.replace(old, next);
    this.forget(old, false);
    this.byAddr.set(next.addr, next);
    this.ghosts.delete(next.id);
    this.membershipChanged();
  }

  /** A heartbeat value heard from a peer: kept for digests and ghosts, not evidence (it may be old). */
  heartbeat(record: NodeRecord, heartbeat: number): void {
    if (record !== this.state.self && heartbeat > record.heartbeat) record.heartbeat = heartbeat;
  }

  /**
   * The node showed life to us directly: an ack to our ping, a ping, a
   * heartbeat or an exchange from its own address, a stream it opened or answered. Makes a
   * pending node a candidate member, and is fresh evidence for one we hold
   * unreachable.
   */
  proofOfLife(record: NodeRecord): void {
    if (record === this.state.self) return;
    const vitals = record.vitals;
    vitals.contacts++;
    if (vitals.evidenced && (vitals.status !== 'unreachable' || vitals.heard)) return;
    vitals.evidenced = true;
    if (vitals.status === 'unreachable') vitals.heard = true;
    this.dirty.add(record.id);
  }

  /** Pings `record` now (a stream waits for its answer: see `Gossip`); its ack is counted in `contacts`. */
  probe(record: NodeRecord, out: Outcome): void {
    this.send(this.prober.prove(record), false, out);
  }

  /** An internal entry of some observer changed: re-judge the subject it names. */
  internalChanged(key: string): void {
    const subject = accusedIn(key);
    if (subject === undefined) return;
    this.dirty.add(subject);
    this.accusationNews = true;
  }

  /** The node announced its leave (in a digest, a delta or a Leave stream). */
  left(record: NodeRecord, now: number, out: Outcome): void {
    if (record.vitals.status === 'left') return;
    record.left = true;
    record.vitals.status = 'left';
    this.expireLater(record.vitals, now);
    this.membershipChanged();
    if (record.vitals.announced) out.event({ type: 'leave', nodeId: record.id });
  }

  // ------------------------------------------------------------------ probes

  /**
   * A probe tick (every round that runs, and between rounds for a link in a
   * run of misses): judge the last pings (not when `onTime` is
   * false: our own process ran late), publish or withdraw our accusations,
   * re-judge whoever needs it, and send this tick's pings.
   */
  tick(now: number, onTime: boolean, regular: boolean, out: Outcome): void {
    if (this.ringStale) this.rebuildRing();
    const watched: NodeRecord[] = [];
    const targets: ProbeTarget[] = [];
    const ring = this.currentRing();
    if (this.subjectsAt !== this.ringMoves) {
      this.ringSubjects = new Set(ring.subjectsOf(this.state.self.id));
      this.subjectsAt = this.ringMoves;
    }
    // The nodes we accuse are pinged too, ring or not: our accusation ends only with their ack.
    const subjects = new Set(this.ringSubjects);
    for (const id of this.accusations.accused()) subjects.add(id);
    for (const id of subjects) {
      const record = this.state.records.get(id);
      if (!record || (record.left && !this.ringSubjects.has(id))) continue;
      watched.push(record);
      const status = record.vitals.status;
      // Not pending ones: a joiner's new subjects are mostly that, and they answer within a round.
      targets.push({
        id,
        addr: record.addr,
        alive: status === 'alive',
        convicted: status === 'unreachable',
      });
    }
    const pings = this.prober.tick(
      now,
      onTime,
      targets,
      regular ? this.unproven.next(this.tuning.unprovenPerTick) : [],
      regular,
    );
    this.toProve.length = 0;
    // Where our own detectors moved (or the node is not simply alive), the few nodes we watch are
    // judged again; a link on time changes no verdict.
    for (const record of watched)
      if (record.vitals.status !== 'alive' || this.prober.moved(record.id))
        this.dirty.add(record.id);
    for (const id of this.accusations.publish(watched, this.prober, this.state.records, now)) {
      this.dirty.add(id);
      this.accusationNews = true;
    }
    if (this.everyone) {
      this.everyone = false;
      for (const record of this.state.records.values()) this.dirty.add(record.id);
    } else if (this.reachChanged.size > 0) {
      const ring = this.currentRing();
      for (const id of this.reachChanged) for (const s of ring.subjectsOf(id)) this.dirty.add(s);
    }
    this.reachChanged.clear();
    this.flush(now, out);
    // One probe in `summaryEvery` carries our summary: its receiver opens an exchange if it differs.
    for (const ping of pings) this.send(ping, this.withSummary(), out);
    if (regular) this.sendBeats(out);
  }

  /**
   * Whether a round at `at` has liveness work beyond its probes: the ring
   * to rebuild, verdicts to re-judge, a node to expire.
   */
  hasWork(at: number): boolean {
    return (
      this.ringStale ||
      this.everyone ||
      this.dirty.size > 0 ||
      this.reachChanged.size > 0 ||
      at >= this.nextExpiry
    );
  }

  /**
   * Whether failure detection moved since the last news push (a verdict,
   * or an accusation made, withdrawn or learned): such news is pushed
   * without the longer wait of a join storm, since verdicts need it.
   */
  hasLivenessNews(): boolean {
    return this.verdictNews || this.accusationNews;
  }

  /**
   * Whether we came to hold some node unreachable since the last news push
   * (a verdict is pushed to more peers than other news, see
   * `verdictFanout`); clears both kinds of liveness news (the push that
   * carries them is built).
   */
  takeVerdictNews(): boolean {
    const fresh = this.verdictNews;
    this.verdictNews = false;
    this.accusationNews = false;
    return fresh;
  }

  /** A heartbeat from its own address: proof of its life, and, from a subject, that its link works. */
  beat(record: NodeRecord, now: number, out: Outcome): void {
    this.prober.heard(record.id, now);
    this.proofOfLife(record);
    this.flush(now, out);
  }

  /** An ack from `addr`: proof of life for the node it answers for, and the end of our accusation. */
  acked(addr: string, seq: number, now: number, out: Outcome): void {
    const id = this.prober.acked(addr, seq);
    const record = id === undefined ? undefined : this.state.records.get(id);
    if (!record) return;
    this.proofOfLife(record);
    if (this.accusations.withdraw(record.id, now)) this.dirty.add(record.id);
    this.flush(now, out);
  }

  /**
   * Re-judges the nodes whose evidence changed, and pings at once the nodes
   * learned second hand since. Ring changes wait for the next tick: at most
   * one rebuild a round, however many packets arrive.
   */
  flush(now: number, out: Outcome): void {
    if (this.toProve.length > 0) {
      for (const record of this.toProve.splice(0)) {
        if (!record.vitals.evidenced && this.state.records.get(record.id) === record)
          this.send(this.prober.prove(record), false, out);
      }
    }
    if (this.dirty.size === 0) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    for (const id of ids) {
      const record = this.state.records.get(id);
      if (record) this.judge(record, now, out);
    }
  }

  // ----------------------------------------------------------------- expiry

  /** Pending, unreachable and left nodes past their expiry are dropped and remembered as ghosts. */
  expire(now: number, out: Outcome): void {
    // Every round that runs asks (hasWork brings one back when an expiry is due); the records are
    // walked only once the earliest expiry has come.
    if (now < this.nextExpiry) return;
    this.nextExpiry = Infinity;
    for (const record of [...this.state.records.values()]) {
      const expiresAt = record.vitals.expiresAt;
      if (record === this.state.self || expiresAt === undefined) continue;
      if (expiresAt > now) {
        this.nextExpiry = Math.min(this.nextExpiry, expiresAt);
        continue;
      }
      this.state.remove(record);
      this.forget(record);
      this.accusations.expired(record.id, now);
      this.ghosts.remember(record, now);
      if (record.vitals.announced) out.event({ type: 'expired', nodeId: record.id });
    }
  }

  /** The node is dropped `nodeExpiry` from now unless it comes back (see judge). */
  private expireLater(vitals: Vitals, now: number): void {
    vitals.expiresAt = now + this.limits.nodeExpiry;
    this.nextExpiry = Math.min(this.nextExpiry, vitals.expiresAt);
  }

  /**
   * Gossip about an expired node is stale unless it names a newer
   * generation, or a higher heartbeat of the same one told by the node
   * itself (`firstHand`; a peer's copy may be old), never once it had left.
   */
  isGhost(id: string, generation: number, heartbeat: number, firstHand = false): boolean {
    return this.ghosts.isGhost(id, generation, heartbeat, firstHand);
  }

  /**
   * A ping or heartbeat from `addr`, where we know no node, by a node whose
   * id has tag `tag`: if we learn of that node soon, it needs no ping of ours.
   */
  introduced(addr: string, tag: number, now: number): void {
    this.introductions.note(addr, tag, now);
  }

  /** Forgets ghosts and introductions past their time. */
  sweep(now: number): void {
    this.ghosts.sweep(now);
    this.introductions.sweep(now);
  }

  // ---------------------------------------------------------------- judging

  private judge(record: NodeRecord, now: number, out: Outcome): void {
    const vitals = record.vitals;
    if (record === this.state.self || vitals.status === 'left') return;
    // Not yet seen alive: it stays pending whatever its observers say. No ring walk: on a joiner
    // the ring is mostly such nodes, and a walk to k reachable ones would cross all of them.
    if (!vitals.evidenced && vitals.status === 'pending') return;
    const self = this.state.self;
    const accusesIt = (observerId: string) =>
      accuses(observerId === self.id ? self : this.state.records.get(observerId), record);
    const observers = this.currentRing().observersOf(record.id);
    const { verdict, accusers } = tally(observers, accusesIt);
    const wasAccused = vitals.status === 'unreachable';
    // Certain on our own (the ring has us watch it, and its silence passed the whole threshold), or a quorum.
    const certain = this.ringSubjects.has(record.id) && this.prober.certain(record.id);
    let accused = certain || (verdict === 'unknown' ? wasAccused : verdict === 'unreachable');
    if (wasAccused) {
      // Evidence is used when it arrives: a verdict that outlives it waits for the next.
      const fresh = this.freshEvidence(record, accusers);
      if (!accused && !fresh) accused = true;
    }
    const next: NodeStatus = !vitals.evidenced ? 'pending' : accused ? 'unreachable' : 'alive';
    if (next === vitals.status) return;
    const previous = vitals.status;
    vitals.status = next;
    // Who watches whom depends on reachability: those it may observe are judged again at the next tick.
    this.reachChanged.add(record.id);
    this.ringMoves++;
    if (next === 'unreachable') {
      this.verdictNews = true;
      vitals.heard = false;
      vitals.convictors = undefined;
      this.noteConvictors(vitals, certain ? [self.id, ...accusers] : accusers);
      if (previous === 'alive') this.expireLater(vitals, now);
      if (vitals.announced) out.event({ type: 'unreachable', nodeId: record.id });
      return;
    }
    vitals.expiresAt = undefined;
    if (vitals.announced) {
      out.event({ type: 'reachable', nodeId: record.id });
      return;
    }
    vitals.announced = true;
    out.event({ type: 'join', nodeId: record.id });
    // Its entries so far, as upserts: what a handler of entry events would have seen.
    for (const [key, value] of record.liveEntries())
      out.event({ type: 'upsert-key', nodeId: record.id, key, value });
  }

  /**
   * Whether a node held unreachable showed fresh evidence of life since it
   * was last judged: it spoke to us directly (an ack to our ping, a ping, a
   * heartbeat or an exchange from its address, a stream; `proofOfLife`), or an observer
   * seen accusing it since the verdict (same incarnation) withdrew its
   * accusation, which it does only when the node answers its ping. Nothing
   * else counts: not the silence of observers the ring has just handed it
   * (they have not pinged it yet), not convictors that left, crashed or
   * stopped watching it, not heartbeats or versions relayed by peers (they
   * may predate the cut). Consumes the evidence, and records `accusers` as
   * convictors whose withdrawal will count.
   */
  private freshEvidence(record: NodeRecord, accusers: string[]): boolean {
    const vitals = record.vitals;
    let fresh = vitals.heard;
    vitals.heard = false;
    const convictors = vitals.convictors;
    if (convictors)
      for (const [id, generation] of convictors) {
        const observer = id === this.state.self.id ? this.state.self : this.state.records.get(id);
        if (!observer || observer.generation !== generation) {
          convictors.delete(id); // another incarnation says nothing of this accusation
        } else if (!accuses(observer, record)) {
          convictors.delete(id);
          fresh = true;
        }
      }
    this.noteConvictors(vitals, accusers);
    return fresh;
  }

  private noteConvictors(vitals: Vitals, accusers: string[]): void {
    for (const id of accusers) {
      const observer = id === this.state.self.id ? this.state.self : this.state.records.get(id);
      if (observer) (vitals.convictors ??= new Map()).set(id, observer.generation);
    }
  }

  private send(ping: OutgoingPing, withSummary: boolean, out: Outcome): void {
    const summary = withSummary ? this.state.summary() : undefined;
    out.ping(ping.addr, ping.seq, ping.target, this.selfTag, summary);
  }

  /** A heartbeat to each of our observers: each period, instead of being pinged by them. */
  private sendBeats(out: Outcome): void {
    for (const observer of this.currentRing().observersOf(this.state.self.id)) {
      const record = this.state.records.get(observer.id);
      if (!record || record.left) continue;
      const summary = this.withSummary() ? this.state.summary() : undefined;
      out.beat(record.addr, idTag(record.id), this.selfTag, summary);
    }
  }

  private withSummary(): boolean {
    return ++this.probes % this.tuning.summaryEvery === 0;
  }

  /** A record object leaves our state; `incarnation`: the node itself, not just this copy, is gone. */
  private forget(record: NodeRecord, incarnation = true): void {
    if (this.byAddr.get(record.addr) === record) this.byAddr.delete(record.addr);
    if (incarnation) this.prober.forget(record.id);
    this.membershipChanged();
  }

  private membershipChanged(): void {
    this.ringStale = true;
    this.everyone = true;
  }

  private currentRing(): MonitoringRing {
    if (!this.ring) this.rebuildRing();
    return this.ring as MonitoringRing;
  }

  private rebuildRing(): void {
    this.ringStale = false;
    this.ringMoves++;
    const members: RingMember[] = [];
    // Live views of the records: reachability changes need no rebuild.
    for (const r of this.state.records.values()) if (!r.left) members.push(ringMemberOf(r));
    this.ring = new MonitoringRing(members, this.tuning.watchers);
  }
}
