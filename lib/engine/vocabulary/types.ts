/** One key/value entry owned by a node, as returned to users. */
export interface Entry {
  key: string;
  value: string;
  /** The owner's version counter when this entry was written. */
  version: number;
  /**
   * Always false in what the engine returns: internal entries (the engine's
   * own bookkeeping, such as failure accusations) travel on the wire but are
   * never shown to users. Kept so that the 0.x Entry shape stays the same.
   */
  internal: boolean;
  /** A tombstone: the key was deleted at `version`. */
  deleted: boolean;
}

/**
 * How this node sees a node, the one status type: `pending` known but not
 * yet shown alive to us (not a member yet), `alive`, `unreachable` (the
 * failure detector's verdict), `left` (final for that incarnation). The
 * local node is `alive` until it leaves.
 */
export type NodeStatus = 'pending' | 'alive' | 'unreachable' | 'left';

/**
 * Where the local engine is in its life (`Gossip.status`): not a
 * `NodeStatus`, which is how this node sees a member.
 */
export type GossipPhase = 'joining' | 'joined' | 'left' | 'closed';

export interface NodeMetadata {
  id: string;
  /** Advertised `host:port` (UDP and TCP share the port). */
  addr: string;
  /** Highest entry version of this node that we hold. */
  version: number;
  /** How this node sees it: a member only when `alive`. */
  status: NodeStatus;
  /** `status === 'left'`. */
  left: boolean;
  /** `status === 'unreachable'` (a `pending` node is neither unreachable nor a member). */
  unreachable: boolean;
  /** Set only while the node is left or unreachable: when its state will be dropped. */
  expiry?: Date;
}

export interface NodeState extends NodeMetadata {
  /** Sorted by version, tombstones included. */
  entries: Entry[];
}

/**
 * Receives membership and state changes. Called synchronously from the engine:
 * it must not block, and anything it throws is caught and logged.
 * Events describe remote nodes; changes made with upsertLocal/deleteLocal are not echoed.
 */
export interface Watcher {
  onJoin?(nodeId: string): void;
  onLeave?(nodeId: string): void;
  onReachable?(nodeId: string): void;
  onUnreachable?(nodeId: string): void;
  onUpsertKey?(nodeId: string, key: string, value: string): void;
  onDeleteKey?(nodeId: string, key: string): void;
  onExpired?(nodeId: string): void;
}

/** Minimal logger; the Nest layer passes its own Logger, the default is silent except errors. */
export interface GossipLogger {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
