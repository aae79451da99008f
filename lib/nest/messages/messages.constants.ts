/** Metadata key that `@OnClusterMessage` writes on a method. */
export const CLUSTER_MESSAGE_METADATA = 'nestjs-gossip:on-cluster-message';
/** Metadata key that `@OnClusterQuery` writes on a method. */
export const CLUSTER_QUERY_METADATA = 'nestjs-gossip:on-cluster-query';
/** Every topic: `messages$('*')`, `@OnClusterMessage('*')`, as for the engine's `subscribe`. */
export const ALL_TOPICS = '*';
