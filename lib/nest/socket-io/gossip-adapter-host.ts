import type { Discovery, GossipListener } from '../../engine';
import type { ClusterMessageListener, PublishResult } from '../../engine/vocabulary/messages';

/** What the Socket.IO adapter uses of a `Gossip` engine (an engine is one). */
export interface GossipAdapterHost {
  readonly nodeId: string;
  readonly messages: {
    publish(topic: string, payload: unknown): Promise<PublishResult>;
    send(nodeId: string, topic: string, payload: unknown): Promise<PublishResult>;
    subscribe(topic: string, listener: ClusterMessageListener): () => void;
  };
  readonly discovery: Pick<Discovery, 'holders' | 'holder'>;
  subscribe(listener: GossipListener): () => void;
  upsertLocal(key: string, value: string): void;
  deleteLocal(key: string): void;
}
