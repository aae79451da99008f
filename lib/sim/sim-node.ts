import type { Gossip } from '../engine/gossip';
import type { NodeClock } from './virtual-clock';

/** Where a simulated process is: not how nodes see it (that is the engine's `NodeStatus`). */
export type SimProcessState = 'running' | 'paused' | 'crashed' | 'closed';

/** One simulated process running a real `Gossip` engine. */
export interface SimNode {
  readonly id: string;
  readonly addr: string;
  gossip: Gossip;
  clock: NodeClock;
  status: SimProcessState;
  /** 1 for the first start, +1 per restart. */
  incarnation: number;
}
