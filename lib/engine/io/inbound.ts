import type { ProtocolCore } from '../core/protocol';
import type { Outcome } from '../state/outcome';
import type { Clock } from '../vocabulary/clock';
import type { TransportHandler } from '../vocabulary/transport';
import type { Messenger } from './messenger';
import type { StreamClient } from './stream-client';
import type { GossipMetrics } from './metrics';
import type { ClusterMessages } from '../messages/cluster-messages';
import { answerUserTraffic, isUserTraffic } from './message-inbound';

export interface InboundDeps {
  core: ProtocolCore;
  io: Messenger;
  /** Answers an inbound stream (it may first ping a live holder of the claimed id). */
  streams: StreamClient;
  /** The options it reads (the resolved options satisfy it). */
  opts: { interval: number; clock: Clock; clusterId: string };
  metrics: GossipMetrics;
  selfId: string;
  /** Answers user traffic (Deliver, Query). */
  messages: ClusterMessages;
  isClosed(): boolean;
  /** Carries out what the core decided (sends, events). */
  perform(out: Outcome): void;
}

/**
 * What the engine does with the traffic its transport receives: open each
 * message, let the core answer, carry out its Outcome. Bad input is refused
 * and counted by the Messenger; anything else that throws is a bug, logged.
 */
export function inboundHandler(d: InboundDeps): TransportHandler {
  return {
    onPacket: (data, from) => {
      if (d.isClosed()) return;
      try {
        d.metrics.packetsInbound.inc();
        d.metrics.packetBytesInbound.inc(data.length);
        const message = d.io.decode(data, from);
        if (message) d.perform(d.core.receive(message, from, d.opts.clock.now(), data.length));
      } catch (err) {
        // A bug, not bad input (that is refused and counted): log it, rate-limited.
        d.io.error(`packet from ${from} failed: ${(err as Error).stack ?? err}`, 'packet-error');
      }
    },
    onRequest: async (data, from) => {
      if (d.isClosed()) throw new Error('closed');
      const self = { id: d.selfId, clusterId: d.opts.clusterId };
      return d.io.serve(data, from, d.selfId, (message) =>
        isUserTraffic(message)
          ? answerUserTraffic(d.messages, message, from, self, d.io)
          : d.streams.answer(message, from, d.opts.interval),
      );
    },
    onTransportReject: (reason) => d.io.reject(reason, 'transport'),
  };
}
