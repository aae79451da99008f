/** What one sample instance needs to know about itself. */
export interface NodeConfig {
  /** Gossip node id, e.g. `node-1`. */
  id: string;
  /** Gossip `host:port` (port 0: any free port). */
  gossipAddr: string;
  /** Seeds to join (empty for the first node). */
  join: string[];
  /** HTTP port (0: any free port). */
  httpPort: number;
  /** Gossip round period in ms. */
  interval: number;
}

export const NODE_CONFIG = Symbol('NODE_CONFIG');
