import { Injectable, type INestApplication, type OnApplicationBootstrap } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Subscription } from 'rxjs';
import {
  GossipDiscoveryService,
  GossipModule,
  GossipService,
  type GossipEvent,
  type GossipSnapshot,
  type NodeMetadata,
} from '../../lib';
import { FAST, gossipApp } from './helpers';
import { waitFor } from '../support/wait';

/** Subscribes the way the user did: in onApplicationBootstrap, after the module joined. */
@Injectable()
class LateSubscriber implements OnApplicationBootstrap {
  readonly events: GossipEvent[] = [];
  readonly members: string[][] = [];
  /** key -> value of every remote node, built from the snapshot then the events. */
  readonly copy = new Map<string, Map<string, string>>();
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly gossip: GossipService,
    private readonly discovery: GossipDiscoveryService,
  ) {}

  onApplicationBootstrap(): void {
    this.subscriptions.push(
      this.gossip.events$.subscribe((e) => this.events.push(e)),
      this.discovery
        .members$()
        .subscribe((list: NodeMetadata[]) => this.members.push(list.map((n) => n.id))),
      this.gossip.snapshotThenEvents$.subscribe((item) => this.apply(item)),
    );
  }

  private apply(item: GossipSnapshot | GossipEvent): void {
    if (item.type === 'snapshot') {
      for (const node of item.nodes) {
        const entries = new Map<string, string>();
        for (const e of node.entries) if (!e.deleted) entries.set(e.key, e.value);
        this.copy.set(node.id, entries);
      }
    } else if (item.type === 'join') this.copy.set(item.nodeId, new Map());
    else if (item.type === 'upsert-key') this.copy.get(item.nodeId)?.set(item.key, item.value);
    else if (item.type === 'delete-key') this.copy.get(item.nodeId)?.delete(item.key);
    else if (item.type === 'expired') this.copy.delete(item.nodeId);
  }
}

describe('members$ and snapshotThenEvents$: the current state first, then the changes', () => {
  let seed: { app: INestApplication; gossip: GossipService };

  beforeAll(async () => {
    seed = await gossipApp({ nodeId: 'stream-seed' });
    seed.gossip.upsertLocal('http', 'http://10.0.0.1:3000');
    seed.gossip.upsertLocal('zone', 'a');
  });

  afterAll(async () => {
    await seed.app.close();
  });

  it('a subscriber in onApplicationBootstrap gets the membership and entries it joined into', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        GossipModule.forRoot({
          ...FAST,
          nodeId: 'stream-late',
          join: [seed.gossip.localNode().addr],
        }),
      ],
      providers: [LateSubscriber],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const late = app.get(LateSubscriber);
    // The join (and the seed's entries) arrived during the module's own bootstrap, before this
    // subscriber existed: events$ alone has nothing about the seed ...
    await new Promise((r) => setTimeout(r, 100));
    expect(late.events.filter((e) => e.type === 'join')).toEqual([]);
    // ... but members$ started with it, and the snapshot held its entries.
    expect(late.members[0]).toEqual(['stream-late', 'stream-seed']);
    await waitFor(() => late.copy.get('stream-seed')?.get('zone') === 'a', 'the seed entries');
    expect(Object.fromEntries(late.copy.get('stream-seed') ?? [])).toEqual({
      http: 'http://10.0.0.1:3000',
      zone: 'a',
    });

    // Then the changes: a third node joins and leaves; the seed writes and deletes.
    const third = await gossipApp({ nodeId: 'stream-third', join: [seed.gossip.localNode().addr] });
    await waitFor(
      () => late.members.some((m) => m.join() === 'stream-late,stream-seed,stream-third'),
      'members$ with the third node',
    );
    seed.gossip.upsertLocal('zone', 'b');
    seed.gossip.deleteLocal('http');
    await waitFor(
      () =>
        late.copy.get('stream-seed')?.get('zone') === 'b' &&
        !late.copy.get('stream-seed')?.has('http'),
      'the write and the delete in the copy',
    );
    await third.app.close();
    await waitFor(
      () => late.members.at(-1)?.join() === 'stream-late,stream-seed',
      'members$ without the node that left',
    );
    // Each emission is a change: no list repeats the one before it.
    late.members.forEach((m, i) => i > 0 && expect(m).not.toEqual(late.members[i - 1]));
    await app.close();
  });

  it('nothing falls between the snapshot and the events, whenever one subscribes', async () => {
    const reader = await gossipApp({
      nodeId: 'stream-reader',
      join: [seed.gossip.localNode().addr],
    });
    // The seed writes continuously; a subscriber comes in the middle of it.
    let n = 0;
    // Each key is written once, so a gap loses a key and an overlap delivers one twice.
    const writer = setInterval(() => seed.gossip.upsertLocal(`w${n}`, `v${n++}`), 2);
    await new Promise((r) => setTimeout(r, 150));
    const copy = new Map<string, string>();
    const fromSnapshot = new Set<string>();
    const fromEvents: string[] = [];
    let snapshots = 0;
    const sub = reader.gossip.snapshotThenEvents$.subscribe((item) => {
      if (item.type === 'snapshot') {
        snapshots++;
        const node = item.nodes.find((x) => x.id === 'stream-seed');
        for (const e of node?.entries ?? []) {
          if (!e.deleted) copy.set(e.key, e.value);
          fromSnapshot.add(e.key);
        }
      } else if (item.type === 'upsert-key' && item.nodeId === 'stream-seed') {
        copy.set(item.key, item.value);
        fromEvents.push(item.key);
      } else if (item.type === 'delete-key' && item.nodeId === 'stream-seed') copy.delete(item.key);
    });
    await new Promise((r) => setTimeout(r, 150));
    clearInterval(writer);
    const expected = () => {
      const live = new Map<string, string>();
      for (const e of reader.gossip.node('stream-seed')?.entries ?? [])
        if (!e.deleted) live.set(e.key, e.value);
      return live;
    };
    await waitFor(
      () => seed.gossip.localNode().version === reader.gossip.node('stream-seed')?.version,
      'the reader caught up',
    );
    await new Promise((r) => setTimeout(r, 20)); // the last events are on a microtask
    expect(snapshots).toBe(1);
    expect(n).toBeGreaterThan(20);
    expect(Object.fromEntries(copy)).toEqual(Object.fromEntries(expected()));
    expect([...fromSnapshot].filter((k) => k.startsWith('w')).length).toBeGreaterThan(0);
    expect(fromEvents.length).toBeGreaterThan(0);
    expect(fromEvents.filter((k) => fromSnapshot.has(k))).toEqual([]); // no overlap
    expect(new Set(fromEvents).size).toBe(fromEvents.length);
    sub.unsubscribe();
    await reader.app.close();
  });

  it('a subscriber before bootstrap gets the held events only if the snapshot lacks them', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [GossipModule.forRoot({ ...FAST, nodeId: 'stream-early' })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const early = app.get(GossipService);
    // The engine is up before bootstrap: a peer joins and writes; its events are held.
    const peer = await gossipApp({ nodeId: 'stream-peer', join: [early.localNode().addr] });
    peer.gossip.upsertLocal('role', 'api');
    await waitFor(
      () => early.node('stream-peer')?.entries.some((e) => e.key === 'role'),
      'stream-early holds the entry',
    );
    const items: Array<GossipSnapshot | GossipEvent> = [];
    const sub = early.snapshotThenEvents$.subscribe((item) => items.push(item));
    await app.init(); // releases the held join and upsert-key
    peer.gossip.upsertLocal('role', 'worker');
    await waitFor(() => items.some((i) => i.type === 'upsert-key'), 'the new write');
    const [snapshot, ...events] = items;
    expect(snapshot.type).toBe('snapshot');
    expect((snapshot as GossipSnapshot).nodes.map((n) => n.id)).toEqual(['stream-peer']);
    // Not the held join / role=api again: only what happened after the snapshot.
    expect(events).toEqual([
      { type: 'upsert-key', nodeId: 'stream-peer', key: 'role', value: 'worker' },
    ]);
    sub.unsubscribe();
    await peer.app.close();
    await app.close();
  });
});
