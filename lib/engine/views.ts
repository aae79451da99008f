import type { ClusterState } from './state/cluster-state';
import type { MetricsSource } from './io/metrics';
import type { NodeRecord } from './state/node-record';
import type { Prober } from './liveness/prober';
import type { NodeMetadata, NodeState } from './vocabulary/types';

/** What users see of a record: plain, JSON-serialisable data. */
export function metadata(record: NodeRecord): NodeMetadata {
  const meta: NodeMetadata = {
    id: record.id,
    addr: record.addr,
    version: record.maxVersion,
    status: record.vitals.status,
    left: record.left,
    unreachable: record.vitals.status === 'unreachable',
  };
  const expiresAt = record.vitals.expiresAt;
  if (expiresAt !== undefined) meta.expiry = new Date(expiresAt);
  return meta;
}

export function nodeState(record: NodeRecord): NodeState {
  return { ...metadata(record), entries: record.snapshot() };
}

/** What the metrics gauges read when scraped. */
export function metricsSource(localId: string, state: ClusterState, prober: Prober): MetricsSource {
  return {
    localId,
    entryCounts: () =>
      [...state.records.values()].map((r) => ({ nodeId: r.id, ...r.countByKind() })),
    nodeCounts: () => {
      const counts = { live: 0, unreachable: 0, left: 0 };
      for (const r of state.records.values()) {
        if (r.left) counts.left++;
        else if (r.vitals.status !== 'alive') counts.unreachable++;
        else counts.live++;
      }
      return counts;
    },
    // For the nodes this one watches: -log10 of the chance a live node misses this run of pings.
    phiValues: () => {
      const out: { nodeId: string; phi: number }[] = [];
      for (const [nodeId, detector] of prober.watched()) out.push({ nodeId, phi: detector.phi });
      return out;
    },
  };
}
