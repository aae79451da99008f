import type { Gossip } from '../lib/engine';

/**
 * Joins as a deploy would: a seed not up yet, or too busy to answer in
 * time, is asked again (every 200 ms, 20 times). Without a seed the node
 * founds the cluster (`join([])`).
 */
export async function joinUntilUp(gossip: Gossip, seed: string | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await gossip.join(seed ? [seed] : []);
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
