import type { TransportRejectReason } from './reject-reason';

/**
 * What the engine does with traffic a transport receives.
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export interface TransportHandler {
  /** A datagram arrived. Must not throw. */
  onPacket(data: Uint8Array, from: string): void;
  /** A stream request arrived; the returned bytes are sent back as the reply. */
  onRequest(data: Uint8Array, from: string): Promise<Uint8Array>;
  /** A stream or packet was refused below the engine (too large, too many streams, timeout). */
  onTransportReject?(reason: TransportRejectReason): void;
}

/**
 * Packets (UDP) and request/reply streams (TCP) on one address. The engine
 * only sees bytes and `host:port` strings, so the simulator can swap in an
 * in-memory network.
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export interface Transport {
  /** The bound `host:port` (with the real port when 0 was asked). */
  readonly localAddr: string;
  /** Fire and forget; a datagram may be lost. */
  sendPacket(to: string, data: Uint8Array): void;
  /**
   * Opens a stream, sends one message, resolves with the one reply. Rejects
   * with a `GossipPeerError` whose reason is `timeout` (no reply within
   * `timeoutMs`), `too-large` (message or reply over the stream limit) or
   * `unreachable` (no connection, or it broke before a reply): the engine
   * reads the reason from the error, never from its text.
   */
  request(to: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Binds a transport on `bindAddr` and starts delivering to `handler`.
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export type TransportFactory = (bindAddr: string, handler: TransportHandler) => Promise<Transport>;
