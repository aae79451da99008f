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
/** The failure detector suspects a node (its heartbeats stopped arriving). */
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
 * What `GossipService.events$` emits and `@OnGossipEvent` handlers receive.
 * Events describe remote nodes: local `upsertLocal`/`deleteLocal` are not echoed.
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

export const GOSSIP_EVENT_TYPES: readonly GossipEventType[] = [
  'join',
  'leave',
  'reachable',
  'unreachable',
  'upsert-key',
  'delete-key',
  'expired',
];

/**
 * Narrows which events a handler receives: a predicate, or fields that must
 * match (a string exactly, a RegExp by test).
 */
export type GossipEventFilter<T extends GossipEventType = GossipEventType> =
  ((event: GossipEventOf<T>) => boolean) | { nodeId?: string | RegExp; key?: string | RegExp };

/** True when `event` passes `filter` (no filter passes everything). */
export function matchesGossipFilter(event: GossipEvent, filter?: GossipEventFilter): boolean {
  if (!filter) return true;
  if (typeof filter === 'function') return (filter as (e: GossipEvent) => boolean)(event);
  if (filter.nodeId !== undefined && !matchField(event.nodeId, filter.nodeId)) return false;
  if (filter.key !== undefined) {
    if (!('key' in event) || !matchField(event.key, filter.key)) return false;
  }
  return true;
}

function matchField(actual: string, expected: string | RegExp): boolean {
  if (typeof expected === 'string') return actual === expected;
  expected.lastIndex = 0;
  return expected.test(actual);
}
