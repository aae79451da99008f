import { CLUSTER_QUERY_METADATA } from './messages.constants';

/** What `@OnClusterQuery` records on a method; one per decorator (they stack). */
export interface OnClusterQueryMetadata {
  name: string;
}

/**
 * A method decorator that only fits a method able to take a query:
 * `(payload, from: string)`, `(payload)` or no parameter; the payload may
 * be typed as the askers send it. A method that needs more, or takes
 * `from` as anything but a string, fails to compile.
 */
export type ClusterQueryHandlerDecorator = <M extends (payload: never, from: string) => unknown>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => TypedPropertyDescriptor<M> | void;

/**
 * Answers the queries named `name` (`GossipMessagesService.query`, or the
 * engine's `gossip.messages.query`) on this node: the method receives the
 * payload and the asker's node id, and what it returns (or the Promise
 * resolves to) is the answer, sent back as MessagePack. What it throws (or
 * the Promise rejects with) becomes an error answer carrying the message.
 * One handler per name in an application: two fail the bootstrap, naming
 * both. Bound at bootstrap, before the node joins; until then (and after
 * shutdown) this node answers `no-handler`.
 *
 * @example
 * @OnClusterQuery('cache.stats')
 * stats() { return { entries: this.cache.size }; }
 */
export function OnClusterQuery(name: string): ClusterQueryHandlerDecorator {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(
      `@OnClusterQuery: name must be a non-empty string (got ${JSON.stringify(name)})`,
    );
  }
  return (_target, _key, descriptor) => {
    const method = descriptor.value as unknown as object;
    const existing: OnClusterQueryMetadata[] =
      Reflect.getMetadata(CLUSTER_QUERY_METADATA, method) ?? [];
    Reflect.defineMetadata(CLUSTER_QUERY_METADATA, [...existing, { name }], method);
    return descriptor;
  };
}
