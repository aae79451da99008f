import { ON_LEADERSHIP_METADATA } from './leadership.constants';

/** `gained`: this node took the role; `lost`: it gave it up (or lost it to a pause, a partition, a leave). */
export type LeadershipTransition = 'gained' | 'lost';

/** What `@OnLeadership` records on a method; one per decorator (they stack). */
export interface OnLeadershipMetadata {
  role: string;
  transition: LeadershipTransition;
}

/**
 * Calls the decorated method when this node gains or loses `role`, for work
 * that starts and stops with leadership (a queue consumer, a stream). It
 * receives the `LeadershipChange` (with the fencing token on `gained`).
 * This node campaigns for the role. What the handler throws or rejects is
 * logged and affects nothing else.
 *
 * @example
 * @OnLeadership('ingest', 'gained') start(change: LeadershipChange) { ... }
 * @OnLeadership('ingest', 'lost') stop() { ... }
 */
export function OnLeadership(role: string, transition: LeadershipTransition): MethodDecorator {
  if (typeof role !== 'string' || role.length === 0) {
    throw new TypeError(
      `@OnLeadership: role must be a non-empty string (got ${JSON.stringify(role)})`,
    );
  }
  if (transition !== 'gained' && transition !== 'lost') {
    throw new TypeError(
      `@OnLeadership: transition must be 'gained' or 'lost' (got ${JSON.stringify(transition)})`,
    );
  }
  return (_target, _key, descriptor) => {
    const method = descriptor.value as unknown as object;
    const existing: OnLeadershipMetadata[] =
      Reflect.getMetadata(ON_LEADERSHIP_METADATA, method) ?? [];
    Reflect.defineMetadata(ON_LEADERSHIP_METADATA, [...existing, { role, transition }], method);
    return descriptor;
  };
}
