import type { Tuning } from '../vocabulary/tuning';

/** What the protocol core is told of the options, tuning included. */
export interface CoreConfig {
  clusterId: string;
  random: () => number;
  tuning: Tuning;
  maxPacketSize: number;
  maxStreamSize: number;
  maxNodes: number;
  maxEntriesPerNode: number;
  phiThreshold: number;
  nodeExpiry: number;
  tombstoneGracePeriod: number;
  /** Bytes sealing adds to every message (0 without secret keys). */
  sealOverhead: number;
}
