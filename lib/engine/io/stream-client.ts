import type { Clock } from '../vocabulary/clock';
import { DigestEntry, Message, MessageType, Outgoing } from '../codec/messages';
import { GossipPeerError } from '../vocabulary/errors';
import type { Messenger } from './messenger';
import type { GossipMetrics } from './metrics';
import type { NodeRecord } from '../state/node-record';
import { Outcome } from '../state/outcome';
import type { ProtocolCore } from '../core/protocol';
import type { Introduction, StreamAnswer } from '../core/stream-sync';
import type { Tuning } from '../vocabulary/tuning';

/**
 * The requesting side of streams: runs a push-pull sync (StreamSync builds
 * and applies its messages) and tells peers of our leave, awaiting each
 * reply through the Messenger. Also what the answering side awaits: a
 * stream claiming a live node's id waits for that node's ack (`answer`).
 */
export class StreamClient {
  constructor(
    private readonly core: ProtocolCore,
    private readonly io: Messenger,
    private readonly metrics: GossipMetrics,
    private readonly clock: Clock,
    private readonly tuning: Tuning,
    private readonly perform: (out: Outcome) => void,
  ) {}

  /** Runs a background sync the core decided on; releases its slot when done. */
  runSync(addr: string, request: Outgoing): void {
    this.syncWith(addr, request)
      .catch((err: Error) => this.io.debug(`sync with ${addr} failed: ${err.message}`))
      .finally(() => this.core.streams.end(addr));
  }

  /**
   * A join: a sync with each address at once. Returns the ids reached (not
   * `selfId`, each once); each failure is added to `errors` as a
   * GossipPeerError naming its address.
   */
  async syncWithEach(addrs: string[], selfId: string, errors: Error[]): Promise<string[]> {
    const results = await Promise.allSettled(
      addrs.map((addr) =>
        this.syncWith(addr, this.core.streams.request(), this.core.streams.introduction()),
      ),
    );
    const joined: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        if (r.value !== selfId && !joined.includes(r.value)) joined.push(r.value);
      } else {
        const err = r.reason as Error;
        const reason = err instanceof GossipPeerError ? err.reason : 'unreachable';
        errors.push(new GossipPeerError(reason, addrs[i], `${addrs[i]}: ${err.message}`));
      }
    });
    return joined;
  }

  /**
   * Full push-pull over TCP: send `request` (our whole digest), absorb the
   * reply, push what the peer lacks. Resolves with the peer's id. With
   * `introduction` (a join by a node with entries: a Push of its own
   * record) that Push goes out alongside the Sync, so a peer that has never
   * heard of us lacks nothing once it answers, and the join takes one
   * exchange, not two in a row. If it fails, or the Sync was answered
   * first, the Push after the reply carries our record as before.
   */
  async syncWith(addr: string, request: Outgoing, introduction?: Introduction): Promise<string> {
    const introduced = introduction && this.introduce(addr, introduction);
    try {
      const reply = await this.io.request(addr, request);
      if (reply.type !== MessageType.SyncReply)
        throw new GossipPeerError(
          'protocol',
          addr,
          `${addr} answered a sync with message type ${reply.type}`,
        );
      if (reply.from === this.core.self.id) return reply.from;
      const known = await introduced;
      const out = new Outcome();
      const push = this.core.streams.absorb(reply, this.clock.now(), out, known);
      this.perform(out);
      if (push) {
        this.metrics.deltaEntriesOutbound.inc(push.deltaEntries);
        const ack = await this.io.request(addr, push.push);
        if (ack.type !== MessageType.StreamAck)
          throw new GossipPeerError(
            'protocol',
            addr,
            `${addr} answered a push with message type ${ack.type}`,
          );
      }
      return reply.from;
    } finally {
      await introduced;
    }
  }

  /**
   * Sends a join's introduction: what the peer now holds of us once it
   * acknowledged it, else undefined. Never rejects: the sync beside it
   * reports the failure.
   */
  private async introduce(
    addr: string,
    introduction: Introduction,
  ): Promise<DigestEntry | undefined> {
    try {
      this.metrics.deltaEntriesOutbound.inc(introduction.deltaEntries);
      const ack = await this.io.request(addr, introduction.push);
      return ack.type === MessageType.StreamAck ? introduction.sent : undefined;
    } catch (err) {
      this.io.debug(`introduction to ${addr} failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  /**
   * Answers a stream request (StreamSync decides). A claim on the id of a
   * node we hold alive at another address is refused if that node answers
   * a ping within two `interval`s (see IdentityGuard).
   */
  async answer(message: Message, from: string, interval: number): Promise<StreamAnswer> {
    const held = this.core.streams.holderToAsk(message);
    const live = held && (await this.answers(held, interval)) ? held : undefined;
    const answer = this.core.streams.answer(message, from, this.clock.now(), live);
    this.perform(answer.outcome);
    return answer;
  }

  /**
   * Whether `record` is alive: pings it and waits up to two `interval`s for
   * its ack (a stream claiming its id waits on this; see IdentityGuard).
   */
  async answers(record: NodeRecord, interval: number): Promise<boolean> {
    const before = record.vitals.contacts;
    const out = new Outcome();
    this.core.liveness.probe(record, out);
    this.perform(out);
    for (let i = 0; i < 4; i++) {
      await new Promise<void>((resolve) => this.clock.setTimer(interval / 2, resolve));
      if (record.vitals.contacts > before) return true;
    }
    return false;
  }

  /**
   * Sends our Leave to `peers` (shuffled live peers) `leaveFanout` at a
   * time until one acknowledges, at most `leaveBatches` batches; rejects
   * when none did.
   */
  async tellLeave(peers: NodeRecord[], message: Outgoing): Promise<void> {
    const { leaveFanout, leaveBatches } = this.tuning;
    const failures: string[] = [];
    for (let i = 0; i < peers.length && i < leaveFanout * leaveBatches; i += leaveFanout) {
      const batch = peers.slice(i, i + leaveFanout);
      const results = await Promise.allSettled(batch.map((p) => this.io.request(p.addr, message)));
      let acked = 0;
      results.forEach((r, j) => {
        if (r.status === 'fulfilled' && r.value.type === MessageType.StreamAck) acked++;
        else
          failures.push(
            `${batch[j].id}: ${r.status === 'rejected' ? (r.reason as Error).message : 'no ack'}`,
          );
      });
      if (acked > 0) return;
    }
    throw new Error(`leave: no peer acknowledged (${failures.join('; ')})`);
  }
}
