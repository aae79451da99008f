import type { ClusterMessage } from '../../engine/vocabulary/messages';
import { CLUSTER_MESSAGE_METADATA } from './messages.constants';

/** What `@OnClusterMessage` records on a method; one per decorator (they stack). */
export interface OnClusterMessageMetadata {
  topic: string;
}

/**
 * A method decorator that only fits a method able to take a
 * `ClusterMessage`: `(message: ClusterMessage)` or no parameter. A handler
 * typed for something else (a `GossipEvent`, a bare payload) fails to compile.
 */
export type ClusterMessageHandlerDecorator = <M extends (message: ClusterMessage) => unknown>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => TypedPropertyDescriptor<M> | void;

/**
 * Calls the decorated method with every message published (or sent to this
 * node) under `topic`, `'*'` for every topic: once per message, in send
 * order per sender, this node's own broadcasts included (`local: true`).
 * Works on any singleton provider or controller; stack it for several
 * topics. Handlers may be async; what they throw or reject is logged with
 * the handler's name and affects nothing else. Bound at bootstrap, before
 * the node joins.
 *
 * @example
 * @OnClusterMessage('cache.invalidate')
 * invalidate(message: ClusterMessage) { this.cache.delete(message.payload as string); }
 */
export function OnClusterMessage(topic: string): ClusterMessageHandlerDecorator {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new TypeError(
      `@OnClusterMessage: topic must be a non-empty string (got ${JSON.stringify(topic)})`,
    );
  }
  return (_target, _key, descriptor) => {
    const method = descriptor.value as unknown as object;
    const existing: OnClusterMessageMetadata[] =
      Reflect.getMetadata(CLUSTER_MESSAGE_METADATA, method) ?? [];
    Reflect.defineMetadata(CLUSTER_MESSAGE_METADATA, [...existing, { topic }], method);
    return descriptor;
  };
}
