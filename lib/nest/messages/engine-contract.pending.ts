// TEMPORARY, until branch msg-engine is merged: the `gossip.messages` contract
// of issue 19 as agreed with the engine, so the Nest layer compiles meanwhile.
// Deleted at the merge (the engine's own `ClusterMessages` takes its place).
import type {
  ClusterMessageListener,
  PublishResult,
  QueryAnswer,
  QueryHandler,
  QueryOptions,
  QueryResult,
} from '../../engine/vocabulary/messages';

export interface ClusterMessages {
  publish(topic: string, payload: unknown): Promise<PublishResult>;
  send(nodeId: string, topic: string, payload: unknown): Promise<PublishResult>;
  subscribe(topic: string, listener: ClusterMessageListener): () => void;
  handle(name: string, handler: QueryHandler): () => void;
  query(
    name: string,
    payload: unknown,
    options?: QueryOptions,
    onAnswer?: (answer: QueryAnswer) => void,
  ): Promise<QueryResult>;
}

declare module '../../engine/gossip' {
  interface Gossip {
    readonly messages: ClusterMessages;
  }
}
