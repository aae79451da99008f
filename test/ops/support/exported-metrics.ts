import { Registry } from 'prom-client';
import { Gossip } from '../../../lib/engine';

/**
 * Every metric name a node exports (histograms with their `_bucket`, `_sum`
 * and `_count` series), read from a real node's registry rather than a list
 * that could drift from lib/engine/metrics.ts.
 */
export async function exportedMetricNames(): Promise<Set<string>> {
  const registry = new Registry();
  const node = await Gossip.create({ bindAddr: '127.0.0.1:0', nodeId: 'metrics-probe', registry });
  try {
    node.metrics.rejected('decode'); // the labelled counter has no series until a first rejection
    const names = new Set<string>();
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name);
      if (String(metric.type) === 'histogram')
        for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
    }
    return names;
  } finally {
    await node.close();
  }
}

/** The `gossip_*` names a PromQL expression reads. */
export function gossipMetricsIn(expr: string): string[] {
  return [...new Set(expr.match(/\bgossip_[a-zA-Z0-9_:]+/g) ?? [])];
}
