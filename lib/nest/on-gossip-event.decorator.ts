import { GOSSIP_EVENT_METADATA } from './constants';
import type { GossipEventFilter, GossipEventOf, GossipEventType } from './gossip-event';

/** What `@OnGossipEvent` records on a method; one per decorator (they stack). */
export interface OnGossipEventMetadata {
  type: GossipEventType;
  filter?: GossipEventFilter;
}

/**
 * A method decorator that only fits a method able to take the event of
 * type `T`: `(event: GossipEventOf<T>)`, `(event: GossipEvent)`, or no
 * parameter. A handler typed for another event fails to compile.
 */
export type GossipEventHandlerDecorator<T extends GossipEventType> = <
  M extends (event: GossipEventOf<T>) => unknown,
>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => TypedPropertyDescriptor<M> | void;

/**
 * Calls the decorated method with every `GossipEvent` of `type` (passing
 * `filter`, when given). Works on any singleton provider or controller; stack
 * it for several types (the parameter must then accept each of them, e.g.
 * `GossipEvent`). Handlers may be async; what they throw or reject is logged
 * with the handler's name and affects nothing else. Handlers are bound
 * before the node joins, so they see every event from start-up on.
 *
 * @example
 * @OnGossipEvent('upsert-key', { key: /^http/ })
 * onAddress(event: GossipEventOf<'upsert-key'>) { ... }
 */
export function OnGossipEvent<T extends GossipEventType>(
  type: T,
  filter?: GossipEventFilter<T>,
): GossipEventHandlerDecorator<T> {
  return (_target, _key, descriptor) => {
    const method = descriptor.value as unknown as object;
    const existing: OnGossipEventMetadata[] =
      Reflect.getMetadata(GOSSIP_EVENT_METADATA, method) ?? [];
    Reflect.defineMetadata(
      GOSSIP_EVENT_METADATA,
      [...existing, { type, filter: filter as GossipEventFilter | undefined }],
      method,
    );
    return descriptor;
  };
}
