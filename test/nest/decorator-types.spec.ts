import { Injectable } from '@nestjs/common';
import { OnGossipEvent, type GossipEvent, type GossipEventOf } from '../../lib';
import { GOSSIP_EVENT_METADATA } from '../../lib/nest/constants';

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
