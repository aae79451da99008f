import type { GossipOptions } from '../engine/config/options';
import type { LinkConfig } from './link';

/** Engine options the simulation sets itself. */
type ManagedOption = 'bindAddr' | 'nodeId' | 'clock' | 'transport' | 'random' | 'resolver';
export type SimEngineOptions = Omit<GossipOptions, ManagedOption>;

export interface SimulationOptions {
  /** Same seed, same run, event for event. Default 1. */
  seed?: number;
  /** Virtual time at start, in ms. Large, so a restart gets a higher generation. Default 1e12. */
  startTime?: number;
  /** Engine options for every node (interval, nodeExpiry, maxPacketSize, ...). */
  engine?: SimEngineOptions;
  /** Default link behaviour. */
  link?: Partial<LinkConfig>;
  /** Keep every engine event in `events`. Default true; turn off for large runs and use `onEvent`. */
  recordEvents?: boolean;
}
