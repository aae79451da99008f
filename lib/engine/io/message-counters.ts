import type { MessageCounters } from '../messages/message-host';
import type { GossipMetrics } from './metrics';

/** The messages floor's counters, on this node's metrics. */
export function messageCounters(metrics: GossipMetrics): MessageCounters {
  return {
    sent: () => metrics.messagesSent.inc(),
    received: (count) => metrics.messagesReceived.inc(count),
    duplicates: (count) => metrics.messageDuplicates.inc(count),
    dropped: (reason, count) => metrics.messagesDropped(reason, count),
    spread: (seconds) => metrics.observeMessageSpread(seconds),
    querySent: (targets) => metrics.queriesSent.inc(targets),
    queryAnswered: () => metrics.queriesAnswered.inc(),
    queryTimedOut: () => metrics.queriesTimedOut.inc(),
  };
}
