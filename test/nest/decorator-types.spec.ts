import { Injectable } from '@nestjs/common';
import {
  OnClusterMessage,
  OnClusterQuery,
  OnGossipEvent,
  type ClusterMessage,
  type GossipEvent,
  type GossipEventOf,
} from '../../lib';
import { GOSSIP_EVENT_METADATA } from '../../lib/nest/constants';
import {
  CLUSTER_MESSAGE_METADATA,
  CLUSTER_QUERY_METADATA,
} from '../../lib/nest/messages/messages.constants';

// ts-jest type-checks this file: each @ts-expect-error must meet a compile error, or the suite fails.
@Injectable()
class Handlers {
  @OnGossipEvent('upsert-key', { key: /^http/ })
  address(event: GossipEventOf<'upsert-key'>): string {
    return event.value;
  }

  @OnGossipEvent('join')
  @OnGossipEvent('leave')
  membership(event: GossipEvent): string {
    return event.nodeId;
  }

  @OnGossipEvent('expired')
  noParameter(): void {}

  // @ts-expect-error a join event has no key or value
  @OnGossipEvent('join')
  wrongType(event: GossipEventOf<'upsert-key'>): string {
    return event.key;
  }

  // @ts-expect-error the filter predicate sees the decorator's event type
  @OnGossipEvent('join', (event: GossipEventOf<'delete-key'>) => event.key === 'x')
  wrongFilter(event: GossipEvent): void {
    void event;
  }
}

describe('@OnGossipEvent types', () => {
  it('records one entry per decorator on a well-typed handler', () => {
    const metadata = (method: keyof Handlers) =>
      Reflect.getMetadata(GOSSIP_EVENT_METADATA, Handlers.prototype[method]) as Array<{
        type: string;
      }>;
    expect(metadata('address').map((m) => m.type)).toEqual(['upsert-key']);
    expect(
      metadata('membership')
        .map((m) => m.type)
        .sort(),
    ).toEqual(['join', 'leave']);
  });
});

@Injectable()
class MessageHandlers {
  @OnClusterMessage('cache.invalidate')
  invalidate(message: ClusterMessage): string {
    return message.from;
  }

  @OnClusterMessage('config')
  @OnClusterMessage('*')
  async everything(message: ClusterMessage): Promise<void> {
    await Promise.resolve(message.seq);
  }

  @OnClusterMessage('ping')
  noParameter(): void {}

  // @ts-expect-error the handler receives the ClusterMessage, not a gossip event
  @OnClusterMessage('cache.invalidate')
  wrongEvent(event: GossipEventOf<'join'>): string {
    return event.nodeId;
  }

  // @ts-expect-error the handler receives the ClusterMessage, not the bare payload
  @OnClusterMessage('cache.invalidate')
  barePayload(key: string): string {
    return key;
  }

  // @ts-expect-error one parameter: the message
  @OnClusterMessage('cache.invalidate')
  twoParameters(message: ClusterMessage, extra: string): string {
    return message.topic + extra;
  }
}

interface StatsRequest {
  detail: boolean;
}

@Injectable()
class QueryHandlers {
  @OnClusterQuery('stats')
  stats(request: StatsRequest, from: string): { entries: number; asker: string } {
    return { entries: request.detail ? 2 : 1, asker: from };
  }

  @OnClusterQuery('version')
  version(): string {
    return '1.0.0';
  }

  @OnClusterQuery('slow')
  async slow(payload: unknown): Promise<unknown> {
    return Promise.resolve(payload);
  }

  // @ts-expect-error `from` is the asker's node id, a string
  @OnClusterQuery('stats')
  wrongFrom(payload: unknown, from: number): number {
    return from;
  }

  // @ts-expect-error a query handler gets two arguments, not three
  @OnClusterQuery('stats')
  threeParameters(payload: unknown, from: string, extra: string): string {
    return from + extra;
  }
}

describe('@OnClusterMessage and @OnClusterQuery types', () => {
  it('records one entry per decorator on a well-typed handler', () => {
    const topics = (method: keyof MessageHandlers) =>
      (
        Reflect.getMetadata(CLUSTER_MESSAGE_METADATA, MessageHandlers.prototype[method]) as Array<{
          topic: string;
        }>
      ).map((m) => m.topic);
    expect(topics('invalidate')).toEqual(['cache.invalidate']);
    expect(topics('everything').sort()).toEqual(['*', 'config']);
    const names = (method: keyof QueryHandlers) =>
      (
        Reflect.getMetadata(CLUSTER_QUERY_METADATA, QueryHandlers.prototype[method]) as Array<{
          name: string;
        }>
      ).map((m) => m.name);
    expect(names('stats')).toEqual(['stats']);
    expect(names('slow')).toEqual(['slow']);
  });

  it('refuses an empty topic or name where the decorator is written', () => {
    expect(() => OnClusterMessage('')).toThrow(/topic must be a non-empty string/);
    expect(() => OnClusterQuery('')).toThrow(/name must be a non-empty string/);
  });
});
