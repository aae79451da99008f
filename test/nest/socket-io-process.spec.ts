import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { Child } from '../support/child';
import { waitFor } from '../support/wait';

jest.setTimeout(120_000);

interface Reply {
  ok: boolean;
  value?: unknown;
  error?: string;
}

/** One Nest app with a gateway on GossipIoAdapter, in its own process (test/nest/support/socket-io-node.ts). */
class IoApp {
  gossip: string | undefined;
  http: string | undefined;
  live: string[] = [];
  private readonly child: Child;
  private readonly replies = new Map<number, (reply: Reply) => void>();
  private next = 0;

  constructor(
    readonly id: string,
    seed: string,
    requestsTimeout: number,
  ) {
    this.child = Child.script('test/nest/support/socket-io-node.ts', [
      id,
      seed,
      String(requestsTimeout),
    ]);
    this.child.onLine((line) => {
      const message = JSON.parse(line) as {
        ready?: { gossip: string; http: string };
        live?: string[];
        reply?: number;
      } & Reply;
      if (message.ready) ({ gossip: this.gossip, http: this.http } = message.ready);
      if (message.live) this.live = message.live;
      if (message.reply !== undefined) this.replies.get(message.reply)?.(message);
    });
  }

  /** Runs one command in the app; resolves with its value, rejects with its error. */
  async run<T>(op: string, args: object = {}): Promise<T> {
    const id = this.next++;
    const reply = new Promise<Reply>((resolve) => this.replies.set(id, resolve));
    this.child.writeLine(JSON.stringify({ id, op, ...args }));
    const { ok, value, error } = await reply;
    if (!ok) throw new Error(`${this.id} ${op}: ${error}`);
    return value as T;
  }

  output(): string {
    return this.child.output();
  }

  kill(): Promise<void> {
    return this.child.stop('SIGKILL');
  }
}

/** A socket.io-client connection that records every event it receives. */
class Client {
  readonly socket: ClientSocket;
  readonly events: Array<{ event: string; data: unknown }> = [];

  constructor(url: string, room: string) {
    this.socket = connect(url, { query: { room }, transports: ['websocket'], reconnection: false });
    this.socket.onAny((event: string, data: unknown) => this.events.push({ event, data }));
  }

  got(event: string): unknown[] {
    return this.events.filter((e) => e.event === event).map((e) => e.data);
  }
}

const WHO = ['sio-a', 'sio-b', 'sio-c'];
/** How long to wait for a delivery: on a loaded machine a stream may time out (5 s) and be retried. */
const DELIVERY = 30_000;

/**
 * Issue 19, section 4: three Nest processes, each with a gateway on
 * GossipIoAdapter, and a socket.io-client connected to each. Rooms, emits,
 * fetchSockets() and serverSideEmit work across them, and after one is
 * killed the survivors' requests finish without waiting for it.
 */
describe('Socket.IO across three Nest processes on GossipIoAdapter', () => {
  const apps: IoApp[] = [];
  const clients: Client[] = [];
  let a: IoApp, b: IoApp, c: IoApp;
  let ca: Client, cb: Client, cc: Client;

  beforeAll(async () => {
    // A long requestsTimeout: after the kill, requests must end because gossip finds
    // the node gone, not because the timeout came.
    for (const id of WHO) {
      const app = new IoApp(id, apps[0]?.gossip ?? '-', 60_000);
      apps.push(app);
      await waitFor(() => app.http, `${id} to start`, 60_000, { detail: () => app.output() });
    }
    [a, b, c] = apps;
    // Every server sees the other two serve the namespace.
    for (const app of apps)
      await waitFor(
        async () => (await app.run<number>('servers')) === 3,
        `${app.id} to count 3 servers`,
        30_000,
        {
          detail: () => app.output(),
        },
      );
    [ca, cb, cc] = [
      new Client(a.http!, 'room-a'),
      new Client(b.http!, 'room-b'),
      new Client(c.http!, 'room-c'),
    ];
    clients.push(ca, cb, cc);
    await waitFor(
      () => clients.every((x) => x.socket.connected),
      'three clients to connect',
      DELIVERY,
    );
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) client.socket.close();
    await Promise.all(apps.map((app) => app.kill()));
  });

  it('delivers an emit to a room made on C to the client of that room on A, and only there', async () => {
    await c.run('emit', { room: 'room-a', event: 'to-room', data: { from: 'sio-c' } });
    // Then one to everyone: per sender, messages arrive in order, so once a client has
    // this one it would have had the room emit already.
    await c.run('emit', { event: 'after-room', data: 1 });
    await waitFor(
      () => clients.every((x) => x.got('after-room').length > 0),
      'the emit to all',
      DELIVERY,
    );
    for (const client of clients) expect(client.got('after-room')).toEqual([1]);
    expect(ca.got('to-room')).toEqual([{ from: 'sio-c' }]);
    expect(cb.got('to-room')).toEqual([]);
    expect(cc.got('to-room')).toEqual([]);
  });

  it('delivers server.emit on B to the clients of all three, once each', async () => {
    await b.run('emit', { event: 'hello-all', data: { n: 1, bytes: 'x'.repeat(10) } });
    await waitFor(
      () => clients.every((x) => x.got('hello-all').length > 0),
      'hello-all everywhere',
      DELIVERY,
    );
    // A later emit, then no duplicate of the first.
    await b.run('emit', { event: 'hello-again', data: 2 });
    await waitFor(
      () => clients.every((x) => x.got('hello-again').length > 0),
      'hello-again',
      DELIVERY,
    );
    for (const client of clients)
      expect(client.got('hello-all')).toEqual([{ n: 1, bytes: 'x'.repeat(10) }]);
  });

  it('lists the clients of all three in fetchSockets() on B, with their rooms', async () => {
    const sockets = await b.run<Array<{ id: string; rooms: string[] }>>('fetch');
    const expected = [
      { client: ca, room: 'room-a' },
      { client: cb, room: 'room-b' },
      { client: cc, room: 'room-c' },
    ]
      .map(({ client, room }) => ({
        id: client.socket.id!,
        rooms: [client.socket.id!, room].sort(),
      }))
      .sort((x, y) => x.id.localeCompare(y.id));
    expect(sockets).toEqual(expected);
  });

  it('collects the answers of the other two to serverSideEmit with an acknowledgement', async () => {
    expect(await b.run('ask')).toEqual(['sio-a', 'sio-c']);
    expect(await a.run('ask')).toEqual(['sio-b', 'sio-c']);
  });

  it('after C is killed, emits and fetchSockets() on the survivors return with only their clients', async () => {
    await c.kill();
    // Asked at once: C is still a member for a while, and the requests end when gossip
    // finds it unreachable (requestsTimeout is 60 s, the test timeout 120 s).
    const [sockets, answers] = await Promise.all([
      b.run<Array<{ id: string }>>('fetch'),
      a.run<string[]>('ask'),
    ]);
    expect(sockets.map((s) => s.id).sort()).toEqual([ca.socket.id, cb.socket.id].sort());
    expect(answers).toEqual(['sio-b']);
    await waitFor(() => !b.live.includes('sio-c'), 'B to see C gone', DELIVERY);

    await b.run('emit', { event: 'after-kill', data: 3 });
    await waitFor(
      () => [ca, cb].every((x) => x.got('after-kill').length > 0),
      'the emit after the kill',
      DELIVERY,
    );
    expect([ca.got('after-kill'), cb.got('after-kill')]).toEqual([[3], [3]]);
    expect(await b.run('servers')).toBe(2);
    expect(await a.run('servers')).toBe(2);
  });
});
