import type { GossipEvent, GossipEventOf, GossipEventType, NodeState } from '../engine';

// The event union lives in the engine (lib/engine/vocabulary/events.ts); re-exported so
// `import { GossipEvent } from 'nestjs-gossip'` keeps working.
export type {
  GossipEvent,
  GossipEventType,
  GossipEventOf,
  GossipJoinEvent,
  GossipLeaveEvent,
  GossipReachableEvent,
  GossipUnreachableEvent,
  GossipUpsertKeyEvent,
  GossipDeleteKeyEvent,
  GossipExpiredEvent,
} from '../engine';
export { GOSSIP_EVENT_TYPES } from '../engine';

/**
 * First emission of `GossipService.snapshotThenEvents$`: every remote node
 * this node knows (left and unreachable ones included, until they expire),
 * with its entries, as of the moment of subscription.
 */
export interface GossipSnapshot {
  type: 'snapshot';
  nodes: NodeState[];
}

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
