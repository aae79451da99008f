import { Controller, Get, Param, type INestApplication } from '@nestjs/common';
import { take, type Subscription } from 'rxjs';
import request from 'supertest';
import { GossipDiscoveryService, GossipService, type Holder } from '../../lib';
import { gossipApp } from './helpers';
import { waitFor } from '../support/wait';

/** Holders as { nodeId: value }, in the order given (sorted by node id). */
function byNode(holders: Holder[]): Record<string, string> {
  return Object.fromEntries(holders.map((h) => [h.nodeId, h.value]));
}

interface App {
  id: string;
  app: INestApplication;
  gossip: GossipService;
  discovery: GossipDiscoveryService;
  /** Every map holders$('rpc') emitted on this app, as plain objects. */
  maps: Array<Record<string, string>>;
  owners: Array<string | undefined>;
  subs: Subscription[];
}

/**
 * Three real apps on loopback. Each advertises `rpc`; every app watches
 * `holders$('rpc')` and `owner$('tenant-1')` and must see the same map
 * through join, update, crash, leave and restart.
 */
describe('discovery streams on three apps', () => {
  const apps: App[] = [];
  afterAll(async () => {
    for (const a of apps) {
      a.subs.forEach((s) => s.unsubscribe());
      await a.app.close().catch(() => undefined);
    }
  });

  async function start(id: string, join: string[] = []): Promise<App> {
    const { app, gossip } = await gossipApp({ nodeId: id, join, nodeExpiry: 30_000 });
    const discovery = app.get(GossipDiscoveryService);
    const a: App = { id, app, gossip, discovery, maps: [], owners: [], subs: [] };
    a.subs.push(discovery.holders$('rpc').subscribe((h) => a.maps.push(byNode(h))));
    a.subs.push(
      discovery.owner$('tenant-1', { holding: 'rpc' }).subscribe((o) => a.owners.push(o)),
    );
    apps.push(a);
    return a;
  }

  /** Waits until every app in `viewers` last emitted exactly `expected`. */
  async function allSee(viewers: App[], expected: Record<string, string>, what: string) {
    const want = JSON.stringify(expected);
    await waitFor(
      () => viewers.every((v) => JSON.stringify(v.maps.at(-1)) === want),
      `${what}: ${viewers.map((v) => `${v.id} sees ${JSON.stringify(v.maps.at(-1))}`).join('; ')}`,
      10_000,
    );
    // The snapshot agrees with the stream.
    for (const v of viewers) expect(byNode(v.discovery.holders('rpc'))).toEqual(expected);
  }

  it('tracks join, update, crash, leave and restart on every node', async () => {
    const a = await start('disc-a');
    expect(a.maps).toEqual([{}]); // emitted on subscription: nobody holds rpc yet
    a.gossip.upsertLocal('rpc', 'a1');
    await allSee([a], { 'disc-a': 'a1' }, 'local write');

    // Join.
    const seed = [a.gossip.localNode().addr];
    const b = await start('disc-b', seed);
    b.gossip.upsertLocal('rpc', 'b1');
    const c = await start('disc-c', seed);
    c.gossip.upsertLocal('rpc', 'c1');
    await allSee([a, b, c], { 'disc-a': 'a1', 'disc-b': 'b1', 'disc-c': 'c1' }, 'join');

    // Update, remote and local.
    b.gossip.upsertLocal('rpc', 'b2');
    a.gossip.upsertLocal('rpc', 'a2');
    await allSee([a, b, c], { 'disc-a': 'a2', 'disc-b': 'b2', 'disc-c': 'c1' }, 'update');
    // A write to another key changes nothing: no emission.
    const emitted = a.maps.length;
    b.gossip.upsertLocal('unrelated', 'x');
    await waitFor(() => a.gossip.node('disc-b')?.entries.some((e) => e.key === 'unrelated'), 'x');
    expect(a.maps.length).toBe(emitted);

    // All three agree on the owner of tenant-1 among rpc holders.
    const owner = a.discovery.owner('tenant-1', { holding: 'rpc' });
    expect([b, c].map((v) => v.discovery.owner('tenant-1', { holding: 'rpc' }))).toEqual([
      owner,
      owner,
    ]);

    // Crash: c's sockets close without a leave; it is no longer offered once suspected.
    await c.gossip.close();
    await allSee([a, b], { 'disc-a': 'a2', 'disc-b': 'b2' }, 'crash');
    expect(a.gossip.node('disc-c')).toMatchObject({ unreachable: true });

    // Leave: b shuts down cleanly.
    await b.app.close();
    await allSee([a], { 'disc-a': 'a2' }, 'leave');
    expect(a.gossip.node('disc-b')).toMatchObject({ left: true });

    // Restart: c comes back with the same id (new generation, new port) and a new value.
    await c.app.close();
    const c2 = await start('disc-c', seed);
    c2.gossip.upsertLocal('rpc', 'c2');
    await allSee([a, c2], { 'disc-a': 'a2', 'disc-c': 'c2' }, 'restart');

    // Every map a emitted was a real change, in order.
    expect(a.maps).toEqual([
      {},
      { 'disc-a': 'a1' },
      ...a.maps.slice(2, -4),
      { 'disc-a': 'a2', 'disc-b': 'b2', 'disc-c': 'c1' },
      { 'disc-a': 'a2', 'disc-b': 'b2' },
      { 'disc-a': 'a2' },
      { 'disc-a': 'a2', 'disc-c': 'c2' },
    ]);
    for (let i = 1; i < a.maps.length; i++) expect(a.maps[i]).not.toEqual(a.maps[i - 1]);
    // The owner stream only ever named rpc holders, and ended on what the snapshot says.
    expect(a.owners.at(-1)).toBe(a.discovery.owner('tenant-1', { holding: 'rpc' }));
    expect(a.owners.every((o) => o === undefined || o.startsWith('disc-'))).toBe(true);
    for (let i = 1; i < a.owners.length; i++) expect(a.owners[i]).not.toBe(a.owners[i - 1]);
  });

  it('streams keys under a prefix, and members advertising a role', async () => {
    const a = apps[0];
    const seen: Array<Record<string, Record<string, string>>> = [];
    const sub = a.discovery
      .holdersOfPrefix$('svc/')
      .subscribe((h) => seen.push(Object.fromEntries(h.map((p) => [p.nodeId, p.values]))));
    const workers: string[][] = [];
    const sub2 = a.discovery
      .members$({ holding: 'role', value: 'worker' })
      .subscribe((m) => workers.push(m.map((n) => n.id)));
    const c = apps.at(-1) as App;
    c.gossip.upsertLocal('svc/http', 'h');
    c.gossip.upsertLocal('svc/grpc', 'g');
    c.gossip.upsertLocal('role', 'worker');
    await waitFor(
      () =>
        JSON.stringify(seen.at(-1)) ===
        JSON.stringify({ 'disc-c': { 'svc/grpc': 'g', 'svc/http': 'h' } }),
      'prefix map',
    );
    await waitFor(() => workers.at(-1)?.join() === 'disc-c', 'workers');
    c.gossip.deleteLocal('svc/http');
    await waitFor(
      () => JSON.stringify(seen.at(-1)) === JSON.stringify({ 'disc-c': { 'svc/grpc': 'g' } }),
      'prefix delete',
    );
    expect(workers[0]).toEqual([]);
    sub.unsubscribe();
    sub2.unsubscribe();
  });

  it('rejects bad arguments naming them, and completes the streams at shutdown', async () => {
    const a = apps[0];
    expect(() => a.discovery.holders$('')).toThrow(/key must be a non-empty string/);
    expect(() => a.discovery.owners('k', 0)).toThrow(/n must be an integer of at least 1/);
    expect(() => a.discovery.members({ holding: '' })).toThrow(/filter.holding must be/);
    let completed = false;
    a.discovery.holders$('rpc').subscribe({ complete: () => (completed = true) });
    await a.app.close();
    expect(completed).toBe(true);
  });
});

describe('discovery streams and this node’s own writes', () => {
  it('update from the local write’s event, not from a timer', async () => {
    const { app, gossip } = await gossipApp({ nodeId: 'solo', interval: 60_000 });
    try {
      const discovery = app.get(GossipDiscoveryService);
      const maps: Array<Record<string, string>> = [];
      const sub = discovery
        .holders$('rpc')
        .subscribe((m) => maps.push(Object.fromEntries(m.map((h) => [h.nodeId, h.value]))));
      gossip.upsertLocal('rpc', 'solo:1');
      // The bus delivers on a microtask; a poll would wait a whole interval (60 s here).
      await new Promise((resolve) => setImmediate(resolve));
      gossip.deleteLocal('rpc');
      await new Promise((resolve) => setImmediate(resolve));
      expect(maps).toEqual([{}, { solo: 'solo:1' }, {}]);
      sub.unsubscribe();
    } finally {
      await app.close();
    }
  });
});

/** The README's HTTP example: discovery reads returned from a controller, as JSON. */
@Controller('services')
class ServicesController {
  constructor(private readonly discovery: GossipDiscoveryService) {}

  @Get('members')
  members() {
    return this.discovery.members();
  }

  @Get(':key/holders')
  holders(@Param('key') key: string) {
    return this.discovery.holders(key);
  }

  @Get(':key/owner')
  owner(@Param('key') key: string) {
    return { key, owner: this.discovery.owner(key, { holding: 'http' }) ?? null };
  }

  /** A stream never completes: take its current value. */
  @Get(':key/holders/now')
  holdersNow(@Param('key') key: string) {
    return this.discovery.holders$(key).pipe(take(1));
  }
}

describe('discovery reads from a controller', () => {
  let a: { app: INestApplication; gossip: GossipService };
  let b: { app: INestApplication; gossip: GossipService };

  beforeAll(async () => {
    a = await gossipApp({ nodeId: 'json-a' }, { controllers: [ServicesController] });
    b = await gossipApp({ nodeId: 'json-b', join: [a.gossip.localNode().addr] });
    a.gossip.upsertLocal('http', 'http://10.0.0.1:3000');
    b.gossip.upsertLocal('http', 'http://10.0.0.2:3000');
    const discovery = a.app.get(GossipDiscoveryService);
    await waitFor(() => discovery.holders('http').length === 2, 'b advertised at a');
  });

  afterAll(async () => {
    await b?.app.close();
    await a?.app.close();
  });

  it('returns holders as a JSON array sorted by node id', async () => {
    const expected = [
      { nodeId: 'json-a', value: 'http://10.0.0.1:3000' },
      { nodeId: 'json-b', value: 'http://10.0.0.2:3000' },
    ];
    const server = a.app.getHttpServer();
    const res = await request(server).get('/services/http/holders').expect(200);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(res.body).toEqual(expected);
    // The stream's current value, taken once, answers too (a bare stream would never finish).
    await request(server).get('/services/http/holders/now').expect(200, expected);
    await request(server).get('/services/none/holders').expect(200, []);
  });

  it('returns members and the owner as plain JSON', async () => {
    const server = a.app.getHttpServer();
    const members = await request(server).get('/services/members').expect(200);
    expect(members.body).toEqual([
      expect.objectContaining({ id: 'json-a', left: false, unreachable: false }),
      expect.objectContaining({ id: 'json-b', left: false, unreachable: false }),
    ]);
    const owner = a.app.get(GossipDiscoveryService).owner('tenant-1', { holding: 'http' });
    expect(['json-a', 'json-b']).toContain(owner);
    await request(server).get('/services/tenant-1/owner').expect(200, { key: 'tenant-1', owner });
  });
});
