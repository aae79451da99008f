import { Injectable, Logger, type INestApplication } from '@nestjs/common';
import { filter, firstValueFrom, lastValueFrom } from 'rxjs';
import { GossipService, OnGossipEvent, type GossipEvent, type GossipEventOf } from '../../lib';
import { gossipApp, openSockets } from './helpers';
import { waitFor } from '../support/wait';

@Injectable()
class Recorder {
  readonly events: GossipEvent[] = [];

  @OnGossipEvent('join')
  @OnGossipEvent('leave')
  onMembership(event: GossipEvent): void {
    this.events.push(event);
  }

  @OnGossipEvent('upsert-key', { key: /^svc\./ })
  async onService(event: GossipEventOf<'upsert-key'>): Promise<void> {
    await Promise.resolve();
    this.events.push(event);
  }
}

@Injectable()
class Picky {
  readonly seen: string[] = [];

  @OnGossipEvent('upsert-key', (e) => e.value.startsWith('http://'))
  onUrl(event: GossipEventOf<'upsert-key'>): void {
    this.seen.push(`${event.nodeId}/${event.key}`);
  }

  @OnGossipEvent('join', { nodeId: 'somebody-else' })
  onOtherJoin(event: GossipEvent): void {
    this.seen.push(`wrong join ${event.nodeId}`);
  }
}

@Injectable()
class Faulty {
  calls = 0;

  @OnGossipEvent('join')
  explode(): void {
    this.calls++;
    throw new Error('handler bug');
  }

  @OnGossipEvent('upsert-key')
  async reject(): Promise<void> {
    this.calls++;
    throw new Error('async handler bug');
  }
}

describe('two apps on loopback', () => {
  let a: { app: INestApplication; gossip: GossipService };
  let b: { app: INestApplication; gossip: GossipService } | undefined;
  let socketsBefore: number;
  const watched: string[] = [];

  beforeAll(async () => {
    socketsBefore = openSockets();
    a = await gossipApp(
      { nodeId: 'app-a', watcher: { onJoin: (id) => watched.push(`join ${id}`) } },
      // The alias must not bind Recorder's handlers a second time.
      { providers: [Recorder, Faulty, Picky, { provide: 'RecorderAlias', useExisting: Recorder }] },
    );
  });

  afterAll(async () => {
    await b?.app.close();
    await a.app.close();
  });

  it('joins, delivers join / upsert-key / leave to handlers and events$, and survives throwing handlers', async () => {
    const recorder = a.app.get(Recorder);
    const faulty = a.app.get(Faulty);
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const seen: GossipEvent[] = [];
    const sub = a.gossip.events$.subscribe((e) => seen.push(e));

    b = await gossipApp({ nodeId: 'app-b', join: [a.gossip.localNode().addr] });
    const peer = b.gossip;

    // Each sees the other.
    await waitFor(() => a.gossip.livePeers().some((n) => n.id === 'app-b'), 'a sees b');
    await waitFor(() => peer.livePeers().some((n) => n.id === 'app-a'), 'b sees a');
    expect(peer.status).toBe('joined');
    expect(a.gossip.status).toBe('joined');

    peer.upsertLocal('svc.http', 'http://127.0.0.1:1234');
    peer.upsertLocal('other', 'ignored by the filter');
    await waitFor(
      () => recorder.events.some((e) => e.type === 'upsert-key'),
      'the upsert-key handler',
    );
    expect(recorder.events).toEqual([
      { type: 'join', nodeId: 'app-b' },
      { type: 'upsert-key', nodeId: 'app-b', key: 'svc.http', value: 'http://127.0.0.1:1234' },
    ]);
    // The throwing handlers ran (join + two upserts) and broke nothing.
    await waitFor(() => faulty.calls >= 3, 'faulty handlers called');
    await waitFor(() => errors.mock.calls.length >= 3, 'handler errors logged');
    const logged = errors.mock.calls.map((c) => String(c[0]));
    expect(logged).toContainEqual(
      expect.stringContaining('handler Faulty.explode failed on join from app-b'),
    );
    expect(logged).toContainEqual(
      expect.stringContaining('handler Faulty.reject failed on upsert-key'),
    );
    errors.mockRestore();

    // Filters: a predicate and a field match.
    expect(a.app.get(Picky).seen).toEqual(['app-b/svc.http']);

    // events$ emits the same, unfiltered.
    await waitFor(
      () => seen.some((e) => e.type === 'upsert-key' && e.key === 'other'),
      'events$ upsert',
    );
    expect(seen).toContainEqual({ type: 'join', nodeId: 'app-b' });
    expect(seen).toContainEqual({
      type: 'upsert-key',
      nodeId: 'app-b',
      key: 'svc.http',
      value: 'http://127.0.0.1:1234',
    });

    // Deletes arrive as delete-key.
    peer.deleteLocal('other');
    await waitFor(
      () => seen.some((e) => e.type === 'delete-key' && e.key === 'other' && e.nodeId === 'app-b'),
      'delete-key',
    );
    // The user's own watcher still hears the engine.
    expect(watched).toContain('join app-b');

    // on(type) narrows.
    const nextLeave = firstValueFrom(a.gossip.on('leave'));

    await b.app.close();
    b = undefined;
    expect(await nextLeave).toEqual({ type: 'leave', nodeId: 'app-b' });
    await waitFor(() => recorder.events.some((e) => e.type === 'leave'), 'leave handler');
    expect(recorder.events.at(-1)).toEqual({ type: 'leave', nodeId: 'app-b' });
    // app.close() made the peer see it as left (not merely unreachable).
    expect(a.gossip.nodes().find((n) => n.id === 'app-b')).toMatchObject({ left: true });
    expect(peer.status).toBe('closed');
    sub.unsubscribe();
  });

  it('reports a peer that vanished without leaving as unreachable', async () => {
    const c = await gossipApp({ nodeId: 'app-c', join: [a.gossip.localNode().addr] });
    await waitFor(() => a.gossip.livePeers().some((n) => n.id === 'app-c'), 'a sees c');
    const unreachable = firstValueFrom(a.gossip.on('unreachable'));
    await c.gossip.close(); // sockets gone, no leave: a crash as far as peers can tell
    expect(await unreachable).toEqual({ type: 'unreachable', nodeId: 'app-c' });
    expect(a.gossip.node('app-c')).toMatchObject({ unreachable: true, left: false });
    await c.app.close();
  });

  it('completes events$ on shutdown and leaves no open sockets', async () => {
    const events = lastValueFrom(a.gossip.events$.pipe(filter(() => false)), {
      defaultValue: 'completed' as const,
    });
    await a.app.close();
    expect(await events).toBe('completed');
    await waitFor(() => openSockets() <= socketsBefore, 'sockets closed', 5000);
  });
});
