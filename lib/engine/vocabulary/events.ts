import type { Watcher } from './types';

/** A remote node joined (or rejoined with a new generation). */
export interface GossipJoinEvent {
  type: 'join';
  nodeId: string;
}
/** A remote node announced it left the cluster (or, `local`, this node called `leave()`). */
export interface GossipLeaveEvent {
  type: 'leave';
  nodeId: string;
  /** This node's own `leave()`; absent for remote nodes. */
  local?: true;
}
/** A node the failure detector suspected is heard from again. */
export interface GossipReachableEvent {
  type: 'reachable';
  nodeId: string;
}
/** The failure detector suspects a node (its probes went unanswered). */
export interface GossipUnreachableEvent {
  type: 'unreachable';
  nodeId: string;
}
/** A node set `key` to `value`. */
export interface GossipUpsertKeyEvent {
  type: 'upsert-key';
  nodeId: string;
  key: string;
  value: string;
  /** This node's own write (`upsertLocal`); absent for remote nodes. */
  local?: true;
}
/** A node deleted `key`. */
export interface GossipDeleteKeyEvent {
  type: 'delete-key';
  nodeId: string;
  key: string;
  /** This node's own delete (`deleteLocal`, or a `ttl` that ran out); absent for remote nodes. */
  local?: true;
}
/** A left or unreachable node's state was dropped after `nodeExpiry`. */
export interface GossipExpiredEvent {
  type: 'expired';
  nodeId: string;
}

/**
 * Everything the engine reports, one union from the core to every consumer:
 * `Gossip.subscribe` listeners, `GossipService.events$`, `@OnGossipEvent`
 * handlers and the simulator receive these objects. Events describe remote
 * nodes, except that `upsert-key`/`delete-key`/`leave` also echo this node's
 * own writes and leave, marked `local: true` (the `Watcher` adapter and the
 * Nest `events$` leave those out).
 */
export type GossipEvent =
  | GossipJoinEvent
  | GossipLeaveEvent
  | GossipReachableEvent
  | GossipUnreachableEvent
  | GossipUpsertKeyEvent
  | GossipDeleteKeyEvent
  | GossipExpiredEvent;

export type GossipEventType = GossipEvent['type'];

/** The event of one type: `GossipEventOf<'upsert-key'>` has `key` and `value`. */
export type GossipEventOf<T extends GossipEventType> = Extract<GossipEvent, { type: T }>;

/** Receives every `GossipEvent`, synchronously, in the engine's order (see `Gossip.subscribe`). */
export type GossipListener = (event: GossipEvent) => void;

/** The `Watcher` callback behind each event type: the one place the two vocabularies meet. */
const CALLBACKS = {
  join: 'onJoin',
  leave: 'onLeave',
  reachable: 'onReachable',
  unreachable: 'onUnreachable',
  'upsert-key': 'onUpsertKey',
  'delete-key': 'onDeleteKey',
  expired: 'onExpired',
} as const satisfies Record<GossipEventType, keyof Watcher>;

export const GOSSIP_EVENT_TYPES = Object.keys(CALLBACKS) as readonly GossipEventType[];

/** Event types that change who is a live member (join, leave, reachable, unreachable, expired). */
export const MEMBERSHIP_EVENT_TYPES: ReadonlySet<GossipEventType> = new Set([
  'join',
  'leave',
  'reachable',
  'unreachable',
  'expired',
]);

/**
 * The seed-compatible `watcher` option as a listener: calls the callback
 * matching each remote event. Local writes are not echoed to a Watcher.
 */
export function watcherListener(watcher: Watcher): GossipListener {
  return (event) => {
    if ('local' in event && event.local) return;
    const fn = watcher[CALLBACKS[event.type]] as ((...args: string[]) => void) | undefined;
    if (!fn) return;
    if (event.type === 'upsert-key') fn.call(watcher, event.nodeId, event.key, event.value);
    else if (event.type === 'delete-key') fn.call(watcher, event.nodeId, event.key);
    else fn.call(watcher, event.nodeId);
  };
}
