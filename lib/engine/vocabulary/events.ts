import type { Watcher } from './types';

/** A remote node joined (or rejoined with a new generation). */
export interface GossipJoinEvent {
  type: 'join';
  nodeId: string;
}
/** A remote node announced it left the cluster. */
export interface GossipLeaveEvent {
  type: 'leave';
  nodeId: string;
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
/** A remote node set `key` to `value`. */
export interface GossipUpsertKeyEvent {
  type: 'upsert-key';
  nodeId: string;
  key: string;
  value: string;
}
/** A remote node deleted `key`. */
export interface GossipDeleteKeyEvent {
  type: 'delete-key';
  nodeId: string;
  key: string;
}
/** A left or unreachable node's state was dropped after `nodeExpiry`. */
export interface GossipExpiredEvent {
  type: 'expired';
  nodeId: string;
}

/**
 * One `Watcher` call as data: what `GossipService.events$` emits,
 * `@OnGossipEvent` handlers receive and the simulator records. Events
 * describe remote nodes: local `upsertLocal`/`deleteLocal` are not echoed.
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
 * A `Watcher` that hands every call to `listener` as a `GossipEvent`,
 * synchronously, in the engine's order.
 *
 * ```ts
 * const events: GossipEvent[] = [];
 * await Gossip.create({ bindAddr: ':7946', watcher: eventWatcher((e) => events.push(e)) });
 * ```
 */
export function eventWatcher(listener: (event: GossipEvent) => void): Required<Watcher> {
  return {
    onJoin: (nodeId) => listener({ type: 'join', nodeId }),
    onLeave: (nodeId) => listener({ type: 'leave', nodeId }),
    onReachable: (nodeId) => listener({ type: 'reachable', nodeId }),
    onUnreachable: (nodeId) => listener({ type: 'unreachable', nodeId }),
    onUpsertKey: (nodeId, key, value) => listener({ type: 'upsert-key', nodeId, key, value }),
    onDeleteKey: (nodeId, key) => listener({ type: 'delete-key', nodeId, key }),
    onExpired: (nodeId) => listener({ type: 'expired', nodeId }),
  };
}

/** Calls the matching callback of `watcher` (if it has one) with the event's arguments. */
export function notifyWatcher(watcher: Watcher, event: GossipEvent): void {
  const name = CALLBACKS[event.type];
  const fn = watcher[name] as ((...args: string[]) => void) | undefined;
  if (!fn) return;
  if (event.type === 'upsert-key') fn.call(watcher, event.nodeId, event.key, event.value);
  else if (event.type === 'delete-key') fn.call(watcher, event.nodeId, event.key);
  else fn.call(watcher, event.nodeId);
}

/** The `Watcher` callback name of an event type (`'upsert-key'` → `'onUpsertKey'`). */
export function watcherCallback(type: GossipEventType): keyof Watcher {
  return CALLBACKS[type];
}
