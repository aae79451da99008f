import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { GossipConfigError, type Gossip } from '../../lib/engine';
import { GossipModule, GossipService } from '../../lib';
import { createGossipAdapter, GossipIoAdapter } from '../../lib/nest/socket-io';
import { LoopbackCluster, type TestNode } from '../support/cluster';
import { waitFor } from '../support/wait';

/** One plain socket.io server (no Nest) on the gossip adapter of one engine. */
interface Instance {
  node: TestNode;
  http: HttpServer;
  io: Server;
  url: string;
}

async function serve(node: TestNode): Promise<Instance> {
  const http = createServer();
  const io = new Server(http, {
    adapter: createGossipAdapter(node.gossip, { requestsTimeout: 30_000 }),
  });
  io.on('connection', (socket) =>
    socket.on('echo', (value: unknown) => socket.emit('echoed', value)),
  );
  io.on('whoami', (answer: (id: string) => void) => answer(node.id));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { node, http, io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

function client(instance: Instance): ClientSocket {
  const socket = connect(instance.url, { transports: ['websocket'], reconnection: false });
  // Every client answers `question` with its server's node id.
  socket.on('question', (answer: (id: string) => void) => answer(instance.node.id));
  return socket;
}

const servers = (instance: Instance) => instance.io.of('/').adapter.serverCount();

/** Closes the clients, the socket.io and HTTP servers, then the engines. */
async function closeAll(
  cluster: LoopbackCluster,
  instances: Instance[],
  clients: ClientSocket[],
): Promise<void> {
  for (const c of clients) c.close();
  for (const instance of instances) {
    instance.io.close();
    instance.http.close();
  }
  await cluster.closeAll();
}

/**
 * `createGossipAdapter` on plain socket.io servers over three real engines
 * in this process: what the three-process Nest test does not cover (remote
 * room changes, emits with acknowledgements, binary, disconnects, a crash
 * during requests) and the options it refuses.
 */
describe('createGossipAdapter on three engines', () => {
  const cluster = new LoopbackCluster();
  const instances: Instance[] = [];
  const clients: ClientSocket[] = [];

  beforeAll(async () => {
    const first = await cluster.start('io-1');
    for (const id of ['io-2', 'io-3']) await (await cluster.start(id)).gossip.join([first.addr]);
    for (const node of cluster.nodes) instances.push(await serve(node));
    await waitFor(
      async () => (await Promise.all(instances.map(servers))).every((n) => n === 3),
      'each server to count three',
    );
    clients.push(...instances.map(client));
    await waitFor(() => clients.every((c) => c.connected), 'the clients to connect');
  });

  afterAll(() => closeAll(cluster, instances, clients));

  it('joins a socket to a room from another instance, and emits to that room from a third', async () => {
    const [one, two, three] = instances;
    const target = clients[0];
    three.io.in(target.id!).socketsJoin('vip');
    // The join and the emit come from different instances: wait until the join is seen.
    await waitFor(async () => {
      const sockets = await two.io.fetchSockets();
      return sockets.find((s) => s.id === target.id)?.rooms.has('vip');
    }, 'the room join on io-1');
    const got: unknown[] = [];
    target.on('vip-only', (v: unknown) => got.push(v));
    two.io.to('vip').emit('vip-only', 'hi');
    await waitFor(() => got.length === 1, 'the room emit');
    expect(got).toEqual(['hi']);
    expect((await one.io.in('vip').fetchSockets()).map((s) => s.id)).toEqual([target.id]);
    three.io.in(target.id!).socketsLeave('vip');
    await waitFor(async () => (await one.io.in('vip').fetchSockets()).length === 0, 'the leave');
  });

  it('collects client acknowledgements from all three with emitWithAck', async () => {
    const answers = (await instances[0].io.timeout(10_000).emitWithAck('question')) as string[];
    expect(answers.sort()).toEqual(['io-1', 'io-2', 'io-3']);
  });

  it('honours except() and volatile across instances', async () => {
    const [one, two, three] = instances;
    const [inRoom, excluded, outside] = clients;
    one.io.in(inRoom.id!).socketsJoin('team');
    one.io.in(excluded.id!).socketsJoin('team');
    await waitFor(
      async () => (await three.io.in('team').fetchSockets()).length === 2,
      'both joins seen on io-3',
    );
    const got = new Map<ClientSocket, string[]>(clients.map((c) => [c, []]));
    for (const c of clients)
      for (const event of ['team-news', 'flash', 'marker'])
        c.on(event, (v: string) => got.get(c)!.push(`${event}:${v}`));
    // From io-3, whose own clients are `outside` only: the room's members live on io-1 and io-2.
    three.io.to('team').except(excluded.id!).emit('team-news', 'a');
    two.io.volatile.emit('flash', 'b');
    // Sent after the others by the same instance: once it arrives, anything earlier has too.
    three.io.emit('marker', 'end');
    two.io.emit('marker', 'end');
    await waitFor(
      () => clients.every((c) => got.get(c)!.filter((e) => e === 'marker:end').length === 2),
      'both markers at every client',
    );
    expect(got.get(inRoom)).toContain('team-news:a');
    expect(got.get(excluded)).not.toContain('team-news:a');
    expect(got.get(outside)).not.toContain('team-news:a');
    for (const c of clients) expect(got.get(c)!.filter((e) => e === 'flash:b')).toHaveLength(1);
    one.io.in('team').socketsLeave('team');
    await waitFor(async () => (await two.io.in('team').fetchSockets()).length === 0, 'the leave');
  });

  it('carries binary data to the clients of other instances', async () => {
    const got: Buffer[] = [];
    clients[2].on('bytes', (b: Buffer) => got.push(b));
    instances[0].io.emit('bytes', Buffer.from([0, 1, 2, 255]));
    await waitFor(() => got.length === 1, 'the bytes');
    expect([...got[0]]).toEqual([0, 1, 2, 255]);
  });

  it('refuses connectionStateRecovery and bad options, naming them', () => {
    const gossip: Gossip = instances[0].node.gossip;
    expect(() => createGossipAdapter(gossip, { requestsTimeout: 0 })).toThrow(GossipConfigError);
    expect(() => createGossipAdapter(gossip, { channel: '' })).toThrow(/channel/);
    expect(
      () => new Server({ adapter: createGossipAdapter(gossip), connectionStateRecovery: {} }),
    ).toThrow(/connectionStateRecovery/);
  });

  it('disconnects a socket of another instance', async () => {
    const extra = client(instances[1]);
    await waitFor(() => extra.connected, 'the extra client');
    let reason = '';
    extra.on('disconnect', (why: string) => (reason = why));
    instances[2].io.in(extra.id!).disconnectSockets(true);
    await waitFor(() => reason, 'the disconnect');
    expect(reason).toBe('io server disconnect');
  });

  it('after an engine crashes, requests on the others end without it, before their timeout', async () => {
    const [one, two, three] = instances;
    await cluster.crash(three.node);
    const [sockets, answers, acks] = await Promise.all([
      one.io.fetchSockets(),
      two.io.serverSideEmitWithAck('whoami') as Promise<string[]>,
      one.io.timeout(20_000).emitWithAck('question') as Promise<string[]>,
    ]);
    expect(sockets.map((s) => s.id).sort()).toEqual([clients[0].id, clients[1].id].sort());
    expect(answers).toEqual(['io-1']);
    expect(acks.sort()).toEqual(['io-1', 'io-2']);
    expect(await servers(one)).toBe(2);
  });
});

describe('a server whose answer is too large to send', () => {
  const cluster = new LoopbackCluster();
  const instances: Instance[] = [];
  const clients: ClientSocket[] = [];
  afterAll(() => closeAll(cluster, instances, clients));

  it('fails fetchSockets() at once with the reason, instead of at the timeout', async () => {
    const small = { maxMessageSize: 8192 };
    const a = await cluster.start('big-1', small);
    const b = await cluster.start('big-2', small);
    await b.gossip.join([a.addr]);
    instances.push(await serve(a), await serve(b));
    const [one, two] = instances;
    await waitFor(
      async () => (await Promise.all(instances.map(servers))).every((n) => n === 2),
      'each server to count two',
    );
    clients.push(client(two));
    await waitFor(() => clients[0].connected, 'the client');
    // Its socket's data makes big-2's answer larger than maxMessageSize.
    for (const socket of two.io.sockets.sockets.values())
      socket.data = { blob: 'x'.repeat(20_000) };
    // The adapter's own timeout is 30 s, past this test's: only the refusal can end it in time.
    await expect(one.io.fetchSockets()).rejects.toThrow(/big-2 could not answer: .*maxMessageSize/);
    // Small answers still go through.
    for (const socket of two.io.sockets.sockets.values()) socket.data = {};
    expect((await one.io.fetchSockets()).map((s) => s.id)).toEqual([clients[0].id]);
  }, 20_000);
});

describe('GossipIoAdapter', () => {
  it('names GossipModule when the application has none', async () => {
    @Module({})
    class NoGossip {}
    const app = await NestFactory.createApplicationContext(NoGossip, { logger: false });
    expect(() => new GossipIoAdapter(app).createIOServer(0)).toThrow(
      /GossipIoAdapter needs GossipModule/,
    );
    await app.close();
  });

  it('gives a gateway on a port of its own a channel of its own', async () => {
    @Module({ imports: [GossipModule.forRoot({ bindAddr: '127.0.0.1:0', metrics: false })] })
    class WithGossip {}
    const app = await NestFactory.createApplicationContext(WithGossip, { logger: false });
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as AddressInfo).port;
    await new Promise((resolve) => free.close(resolve));
    const io = new GossipIoAdapter(app, { channel: 'chat' }).createIOServer(port);
    const keys = () =>
      app
        .get(GossipService)
        .localNode()
        .entries.filter((e) => !e.deleted)
        .map((e) => e.key);
    expect(keys()).toEqual([`chat:${port}#/`]);
    io.close();
    expect(keys()).toEqual([]);
    await app.close();
  });
});
