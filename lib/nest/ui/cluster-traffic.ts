import type { Counter } from 'prom-client';
import { LOCAL_LABEL } from '../../engine/io/metrics';
import type { GossipService } from '../gossip.service';

/** Cumulative counters of one node, read back from its Prometheus registry. */
export interface TrafficTotals {
  packetsIn: number;
  packetsOut: number;
  /** UDP and TCP bytes. */
  bytesIn: number;
  bytesOut: number;
  /** Messages refused, every reason. */
  rejected: number;
}

const SOURCES: Record<keyof TrafficTotals, string[]> = {
  packetsIn: ['packets_inbound_total'],
  packetsOut: ['packets_outbound_total'],
  bytesIn: ['packet_bytes_inbound_total', 'stream_bytes_inbound_total'],
  bytesOut: ['packet_bytes_outbound_total', 'stream_bytes_outbound_total'],
  rejected: ['rejected_total'],
};

/**
 * The local node's traffic so far, summed over its own series only: the
 * registry may be shared with other nodes of the process. A metric that is
 * not registered (another prefix, a foreign registry) counts as 0.
 */
export async function readTraffic(gossip: GossipService, prefix: string): Promise<TrafficTotals> {
  const registry = gossip.metrics.registry;
  const self = gossip.nodeId;
  const sum = async (names: string[]): Promise<number> => {
    let total = 0;
    for (const name of names) {
      const metric = registry.getSingleMetric(prefix + name) as Counter | undefined;
      if (!metric) continue;
      for (const sample of (await metric.get()).values)
        if (sample.labels[LOCAL_LABEL] === self) total += sample.value;
    }
    return total;
  };
  const totals = {} as TrafficTotals;
  for (const key of Object.keys(SOURCES) as (keyof TrafficTotals)[])
    totals[key] = await sum(SOURCES[key]);
  return totals;
}
