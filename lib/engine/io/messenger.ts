import type { Clock } from '../vocabulary/clock';
import { decodeMessage } from '../codec/decode';
import { encodeMessage } from '../codec/encode';
import { DecodeError, DecodeLimits } from '../codec/limits';
import { Message, MessageType, Outgoing, isProbe } from '../codec/messages';
import { GossipPeerError, GossipPeerErrorReason } from '../vocabulary/errors';
import type { GossipMetrics } from './metrics';
import type { EventListeners } from './event-listeners';
import type { Outcome } from '../state/outcome';
import type { StreamAnswer } from '../core/stream-sync';
import type { RejectReason } from '../vocabulary/reject-reason';
import type { Transport } from '../vocabulary/transport';
import type { Tuning } from '../vocabulary/tuning';
import type { GossipLogger } from '../vocabulary/types';
import type { Wire } from '../codec/wire';

/** Decode failures that mean the peer's settings differ from ours: answered with a plain error on streams. */
const MISMATCH_REASONS: ReadonlySet<RejectReason> = new Set([
  'version',
  'unsealed',
  'sealed',
  'auth',
]);

export interface MessengerDeps {
  wire: Wire;
  limits: DecodeLimits;
  metrics: GossipMetrics;
  logger: GossipLogger;
  /** Where the events of each Outcome go. */
  listeners: EventListeners;
  clock: Clock;
  tuning: Tuning;
  clusterId: string;
  maxPacketSize: number;
  streamTimeout: number;
}

/**
 * The I/O edge of the engine: seals and opens messages, sends datagrams,
 * makes stream requests, counts traffic and refusals, logs (rate-limited on
 * the injected clock) and hands events to the listeners. It carries out the
 * Outcomes the protocol core returns; it makes no protocol decision.
 */
export class Messenger {
  transport!: Transport;
  private readonly lastLogged = new Map<string, number>();

  constructor(private readonly deps: MessengerDeps) {}

  /** Opens a datagram or stream message; counts and returns undefined when refused. */
  decode(data: Uint8Array, from: string): Message | undefined {
    try {
      return this.deps.wire.decode(data);
    } catch (err) {
      if (err instanceof DecodeError) this.reject(err.reason, from, err.message);
      else this.reject('decode', from, (err as Error).message);
      return undefined;
    }
  }

  /**
   * Carries out an Outcome: counts and logs refusals, hands events to the
   * listeners, then sends in order (datagrams now; a 'sync' starts `sync`).
   */
  perform(out: Outcome, sync: (addr: string, request: Outgoing) => void): void {
    const metrics = this.deps.metrics;
    for (const r of out.rejections) this.reject(r.reason, r.from, r.detail);
    for (const w of out.warnings) if (this.shouldLog(w.key)) this.deps.logger.warn(w.message);
    if (out.digestEntriesIn > 0) metrics.digestEntriesInbound.inc(out.digestEntriesIn);
    if (out.deltaEntriesIn > 0) metrics.deltaEntriesInbound.inc(out.deltaEntriesIn);
    for (const event of out.events) this.deps.listeners.deliver(event);
    for (const send of out.sends) {
      if (send.kind === 'sync') {
        sync(send.to, send.message);
        continue;
      }
      this.sendPacket(send.to, send.message);
      if (send.digestEntries > 0) metrics.digestEntriesOutbound.inc(send.digestEntries);
      if (send.deltaEntries > 0) metrics.deltaEntriesOutbound.inc(send.deltaEntries);
    }
  }

  private sendPacket(to: string, message: Outgoing): void {
    const bytes = this.deps.wire.encode(message);
    if (bytes.length > this.deps.maxPacketSize) {
      // The builders budget every byte; reaching this is a bug, never a reason to send.
      this.deps.logger.error(
        `refusing to send a ${bytes.length}-byte packet of type ${message.type} (maxPacketSize ${this.deps.maxPacketSize})`,
      );
      return;
    }
    this.deps.metrics.packetsOutbound.inc();
    this.deps.metrics.packetBytesOutbound.inc(bytes.length);
    this.transport.sendPacket(to, bytes);
  }

  /** One stream exchange: our message, the peer's reply (within `timeout`, default streamTimeout); a failure is a GossipPeerError. */
  async request(
    to: string,
    message: Outgoing,
    timeout = this.deps.streamTimeout,
  ): Promise<Message> {
    const bytes = this.deps.wire.encode(message);
    const metrics = this.deps.metrics;
    metrics.connectionsOutbound.inc();
    metrics.streamBytesOutbound.inc(bytes.length);
    let raw: Uint8Array;
    try {
      raw = await this.transport.request(to, bytes, timeout);
    } catch (err) {
      if (err instanceof GossipPeerError) throw err;
      // A transport that breaks the contract (see Transport.request): no reason to read.
      throw new GossipPeerError('unreachable', to, (err as Error).message);
    }
    metrics.streamBytesInbound.inc(raw.length);
    const reply = this.decodeReply(raw, to);
    if (reply.type === MessageType.StreamError) {
      const text = reply.message.slice(0, this.deps.tuning.maxRemoteText);
      throw new GossipPeerError(refusalReason(reply.code), to, `${to} refused: ${text}`);
    }
    if (isProbe(reply)) {
      this.reject('type', to, `datagram message type ${reply.type} on a stream`);
      throw new GossipPeerError('protocol', to, `${to} answered with a datagram message`);
    }
    if (reply.clusterId !== this.deps.clusterId) {
      throw new GossipPeerError(
        'cluster',
        to,
        `${to} is in cluster ${JSON.stringify(reply.clusterId)}, not ${JSON.stringify(this.deps.clusterId)}`,
      );
    }
    return reply;
  }

  /**
   * A stream reply. Refusals are sent plain, so a node whose keys differ
   * from ours can still tell us why; anything else that fails is counted.
   */
  private decodeReply(reply: Uint8Array, from: string): Message {
    try {
      return this.deps.wire.decode(reply);
    } catch (err) {
      if (reply[0] === MessageType.StreamError) {
        try {
          return decodeMessage(reply, this.deps.limits);
        } catch {
          // not a readable refusal either: count the first failure
        }
      }
      const reason = err instanceof DecodeError ? err.reason : 'decode';
      this.reject(reason, from, (err as Error).message);
      throw new GossipPeerError(
        refusalReason(reason),
        from,
        `${from} sent a reply we refuse (${reason}): ${(err as Error).message}`,
      );
    }
  }

  /**
   * Serves one inbound stream request: opens it, lets `handle` (the core)
   * answer, counts, and returns the reply's bytes; throws to close the
   * stream unanswered.
   */
  async serve(
    data: Uint8Array,
    from: string,
    selfId: string,
    handle: (message: Message) => StreamAnswer | Promise<StreamAnswer>,
  ): Promise<Uint8Array> {
    const metrics = this.deps.metrics;
    metrics.connectionsInbound.inc();
    metrics.streamBytesInbound.inc(data.length);
    const reply = await this.answer(data, from, selfId, handle);
    metrics.streamBytesOutbound.inc(reply.length);
    return reply;
  }

  private async answer(
    data: Uint8Array,
    from: string,
    selfId: string,
    handle: (message: Message) => StreamAnswer | Promise<StreamAnswer>,
  ): Promise<Uint8Array> {
    const message = this.openRequest(data, from, selfId);
    if (message instanceof Uint8Array) return message;
    const answer = await handle(message);
    if (!answer.reply) throw new Error(answer.refusal);
    const metrics = this.deps.metrics;
    if (answer.digestEntries > 0) metrics.digestEntriesOutbound.inc(answer.digestEntries);
    if (answer.deltaEntries > 0) metrics.deltaEntriesOutbound.inc(answer.deltaEntries);
    return this.encodeReply(answer.reply);
  }

  /**
   * Opens an inbound stream request. A refusal caused by settings (keys,
   * version) is answered plain so the peer learns why; anything else throws
   * (the stream closes unanswered).
   */
  private openRequest(data: Uint8Array, from: string, selfId: string): Message | Uint8Array {
    try {
      return this.deps.wire.decode(data);
    } catch (err) {
      const reason = err instanceof DecodeError ? err.reason : 'decode';
      this.reject(reason, from, (err as Error).message);
      if (!MISMATCH_REASONS.has(reason)) throw err;
      return encodeMessage({
        type: MessageType.StreamError,
        code: reason,
        message: `node ${selfId} refused the message (${reason}): ${(err as Error).message}`,
      });
    }
  }

  /** A stream reply's bytes: refusals plain, everything else sealed when keys are set. */
  private encodeReply(reply: Outgoing): Uint8Array {
    return reply.type === MessageType.StreamError
      ? encodeMessage(reply)
      : this.deps.wire.encode(reply);
  }

  reject(reason: RejectReason, from: string, detail?: string): void {
    this.deps.metrics.rejected(reason);
    if (this.shouldLog(reason))
      this.deps.logger.debug(
        `rejected message from ${from} (${reason})${detail ? `: ${detail}` : ''}`,
      );
  }

  debug(message: string): void {
    this.deps.logger.debug(message);
  }

  /** Logs an error; with a `key`, at most one per `logEvery` (a bug hit by every packet). */
  error(message: string, key?: string): void {
    if (key === undefined || this.shouldLog(key)) this.deps.logger.error(message);
  }

  /** One log line per key per `logEvery`: a flood must not become a log flood. */
  shouldLog(key: string): boolean {
    const now = this.deps.clock.now();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last < this.deps.tuning.logEvery) return false;
    this.lastLogged.set(key, now);
    return true;
  }
}

function refusalReason(code: string): GossipPeerErrorReason {
  if (code === 'auth' || code === 'sealed' || code === 'unsealed') return 'auth';
  if (code === 'cluster' || code === 'version' || code === 'id-conflict') return code;
  return code === 'decode' || code === 'type' ? 'protocol' : 'refused';
}
