import { decodeLimits } from './codec/limits';
import { consoleLogger } from './io/console-logger';
import type { ResolvedOptions } from './config/options';
import { messageCounters } from './io/message-counters';
import { MessageCourier } from './io/message-courier';
import type { Messenger } from './io/messenger';
import type { GossipMetrics } from './io/metrics';
import { ClusterMessages } from './messages/cluster-messages';
import type { Member, MemberView } from './messages/message-host';
import type { NodeRecord } from './state/node-record';
import { MAX_DELIVER_BATCH, MESSAGE_ENVELOPE_BYTES, type Tuning } from './vocabulary/tuning';
import { metadata } from './views';

/** What the facade lends `gossip.messages`: its view of the members, its I/O, its metrics. */
export interface MessagesHostDeps {
  self: NodeRecord;
  records: ReadonlyMap<string, NodeRecord>;
  opts: ResolvedOptions;
  tuning: Tuning;
  io: Messenger;
  metrics: GossipMetrics;
  closed(): boolean;
}

/** Builds `gossip.messages` on this node's records, Messenger and metrics. */
export function clusterMessages(d: MessagesHostDeps): ClusterMessages {
  const member = (r: NodeRecord): Member => ({
    id: r.id,
    addr: r.addr,
    generation: r.generation,
    // As discovery reads it: a left record is never a member, whatever its vitals say.
    status: r.left ? 'left' : r.vitals.status,
  });
  const view: MemberView = {
    selfId: d.self.id,
    // A getter: the generation moves if this node must outrank a copy of itself.
    get selfGeneration() {
      return d.self.generation;
    },
    livePeers: () => {
      const out: Member[] = [];
      for (const r of d.records.values())
        if (r !== d.self && r.vitals.status === 'alive' && !r.left) out.push(member(r));
      return out;
    },
    member: (id) => {
      const r = d.records.get(id);
      return r ? member(r) : undefined;
    },
    describe: (id) => {
      const r = d.records.get(id);
      return r ? metadata(r) : undefined;
    },
    writable: () => !d.closed() && !d.self.left,
  };
  const o = d.opts;
  return new ClusterMessages({
    config: {
      clusterId: o.clusterId,
      maxMessageSize: o.maxMessageSize,
      maxPendingMessageBytes: o.maxPendingMessageBytes,
      maxPendingMessages: o.maxPendingMessages,
      batchBytes: o.maxStreamSize - MESSAGE_ENVELOPE_BYTES,
      batchCount: Math.min(
        MAX_DELIVER_BATCH,
        decodeLimits(o, d.tuning.arrayLengthSlack).maxArrayLength,
      ),
      maxSenders: o.maxNodes,
      maxErrorText: d.tuning.maxRemoteText,
      maxHandlerTime: d.tuning.maxHandlerTime,
    },
    view,
    counters: messageCounters(d.metrics),
    clock: o.clock,
    logger: o.logger ?? consoleLogger,
    carrier: (deliveries) => new MessageCourier(deliveries, d.io, o.clock, d.tuning, d.closed),
  });
}
