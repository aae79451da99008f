import { beatMessage, pingMessage, type Outgoing, type Summary } from '../codec/messages';
import type { GossipEvent } from '../vocabulary/events';
import type { RejectReason } from '../vocabulary/reject-reason';

// The event union is defined once, in events.ts: the core emits it, the
// facade hands each to the listeners (Messenger.perform → EventListeners),
// Nest and the simulator among them.
export type { GossipEvent } from '../vocabulary/events';

/** Something to send: a datagram, or the first message of a background stream sync. */
export interface Send {
  kind: 'packet' | 'sync';
  to: string;
  message: Outgoing;
  /** Digest and delta entries it carries, for the traffic counters. */
  digestEntries: number;
  deltaEntries: number;
}

/** A message or entry refused, counted by reason and logged (rate-limited). */
export interface Rejection {
  reason: RejectReason;
  from: string;
  detail: string;
}

/**
 * What the protocol core decided while handling one message or timer tick.
 * The core does no I/O: the facade sends `sends` in order (their order is
 * the order random draws and packets happen in), delivers `events`, counts
 * `rejections` and the inbound entries, and logs `warnings`.
 */
export class Outcome {
  readonly sends: Send[] = [];
  readonly events: GossipEvent[] = [];
  readonly rejections: Rejection[] = [];
  /** Warnings to log, each under a rate-limit key. */
  readonly warnings: { key: string; message: string }[] = [];
  /** Digest and delta entries received, for the traffic counters. */
  digestEntriesIn = 0;
  deltaEntriesIn = 0;

  packet(to: string, message: Outgoing, digestEntries: number, deltaEntries: number): void {
    this.sends.push({ kind: 'packet', to, message, digestEntries, deltaEntries });
  }

  /** A liveness probe (see codec/messages.ts, Ping). */
  ping(to: string, seq: number, target: number, from: number, summary?: Summary): void {
    this.packet(to, pingMessage(seq, target, from, summary), 0, 0);
  }

  /** A heartbeat to an observer (see codec/messages.ts, Beat). */
  beat(to: string, target: number, from: number, summary: Summary | undefined): void {
    this.packet(to, beatMessage(target, from, summary), 0, 0);
  }

  event(event: GossipEvent): void {
    this.events.push(event);
  }

  reject(reason: RejectReason, from: string, detail: string): void {
    this.rejections.push({ reason, from, detail });
  }

  warn(key: string, message: string): void {
    this.warnings.push({ key, message });
  }
}
