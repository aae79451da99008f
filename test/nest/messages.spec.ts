import { Injectable, Module, type INestApplication, type OnModuleInit } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { firstValueFrom, lastValueFrom, toArray, type Observable } from 'rxjs';
import {
  GossipDiscoveryService,
  GossipMessageError,
  GossipMessagesService,
  GossipModule,
  GossipService,
  OnClusterMessage,
  OnClusterQuery,
  type ClusterMessage,
  type QueryAnswer,
} from '../../lib';
import { FAST, gossipApp, openSockets } from './helpers';
import { waitFor } from '../support/wait';

jest.setTimeout(60_000);

/** What a handler saw: which node's handler, and the message. */
interface Seen {
  node: string;
  handler: string;
  message: ClusterMessage;
}

/** Shared by every app of the test: each entry names the node whose handler ran. */
const seen: Seen[] = [];

/** Two handlers on one topic and one on every topic: each must see each message once. */
@Injectable()
class CacheListener {
  constructor(private readonly gossip: GossipService) {}

  @OnClusterMessage('cache.invalidate')
  invalidate(message: ClusterMessage): void {
    seen.push({ node: this.gossip.nodeId, handler: 'invalidate', message });
  }

  @OnClusterMessage('*')
  async everything(message: ClusterMessage): Promise<void> {
    await Promise.resolve();
    seen.push({ node: this.gossip.nodeId, handler: 'everything', message });
  }
}

@Injectable()
class AuditListener {
  constructor(private readonly gossip: GossipService) {}

  @OnClusterMessage('cache.invalidate')
  audit(message: ClusterMessage): void {
    seen.push({ node: this.gossip.nodeId, handler: 'audit', message });
  }
}

/** Answers 'stats'; on node-b it throws, to make an error answer. */
@Injectable()
class StatsResponder {
  constructor(private readonly gossip: GossipService) {}

  @OnClusterQuery('stats')
  async stats(request: { detail: boolean }, from: string): Promise<unknown> {
    if (this.gossip.nodeId === 'node-b') throw new Error('stats are off on node-b');
    await Promise.resolve();
    return { node: this.gossip.nodeId, detail: request.detail, asker: from };
  }
}

interface Member {
  app: INestApplication;
  gossip: GossipService;
  messages: GossipMessagesService;
}

async function start(nodeId: string, join: string[], answersStats: boolean): Promise<Member> {
  const providers = [CacheListener, AuditListener, ...(answersStats ? [StatsResponder] : [])];
  // maxMessageSize is an engine option the module passes through.
  const { app, gossip } = await gossipApp(
    { nodeId, join, maxMessageSize: 64 * 1024 },
    { providers },
  );
  return { app, gossip, messages: app.get(GossipMessagesService) };
}

/** The handler's messages on `node`, as `from:payload`, in the order they were handed over. */
function log(node: string, handler: string, topic?: string): string[] {
  return seen
    .filter((s) => s.node === node && s.handler === handler)
    .filter((s) => topic === undefined || s.message.topic === topic)
    .map((s) => `${s.message.from}:${String(s.message.payload)}`);
}

describe('messages between 3 Nest apps (loopback, real engine)', () => {
  const members: Member[] = [];
  const ids = ['node-a', 'node-b', 'node-c'];

  beforeAll(async () => {
    // node-c has no 'stats' handler: it must answer `no-handler`.
    members.push(await start('node-a', [], true));
    const seed = members[0].gossip.localNode().addr;
    members.push(await start('node-b', [seed], true));
    members.push(await start('node-c', [seed], false));
    await waitFor(
      () =>
        members.every((m) => m.app.get(GossipDiscoveryService).members().length === members.length),
      'every app to see the 3 members',
    );
  });

  afterAll(async () => {
    for (const m of members) await m.app.close().catch(() => undefined);
  });

  it('hands each publish to every decorated method of every app exactly once, in send order per sender', async () => {
    // Each app publishes 4 messages at once, without waiting between them.
    const sends = members.flatMap((m, i) =>
      [0, 1, 2, 3].map((n) => m.messages.publish('cache.invalidate', `k${i}${n}`)),
    );
    const results = await Promise.all(sends);
    for (const result of results) expect([...result.delivered].sort()).toEqual(ids);
    // A last message from each sender: ordered per sender, it comes after anything
    // (a duplicate included) that sender sent before it.
    await Promise.all(members.map((m) => m.messages.publish('cache.invalidate', 'end')));
    const ends = (node: string) =>
      log(node, 'audit').filter((entry) => entry.endsWith(':end')).length;
    await waitFor(() => ids.every((node) => ends(node) === 3), 'every end message everywhere');
    await waitFor(
      () => ids.every((node) => log(node, 'everything', 'cache.invalidate').length === 15),
      'the async handlers too',
    );

    for (const node of ids) {
      for (const handler of ['invalidate', 'audit', 'everything']) {
        const got = log(node, handler, 'cache.invalidate');
        expect(got).toHaveLength(15); // 3 senders x (4 + end): no duplicate, nothing lost
        ids.forEach((sender, i) => {
          expect(got.filter((entry) => entry.startsWith(`${sender}:`))).toEqual(
            [0, 1, 2, 3].map((n) => `${sender}:k${i}${n}`).concat(`${sender}:end`),
          );
        });
      }
    }
    // The sender's own copy is marked local; the others' are not.
    const mine = seen.filter((s) => s.handler === 'audit' && s.node === 'node-a');
    expect(mine.filter((s) => s.message.local).map((s) => s.message.from)).toEqual(
      Array(5).fill('node-a'),
    );
    expect(mine.filter((s) => !s.message.local).every((s) => s.message.from !== 'node-a')).toBe(
      true,
    );
    // Sequence numbers grow by one per message of each sender.
    const fromB = mine.filter((s) => s.message.from === 'node-b').map((s) => s.message.seq);
    expect(fromB).toEqual(fromB.map((_, i) => fromB[0] + i));
  });

  it('gives an Observable per topic ("*" for all), hot, completing at shutdown', async () => {
    const [a, b, c] = members;
    // Hot: what was published before the subscription is not replayed.
    await a.messages.publish('config', 'before');
    await waitFor(() => log('node-c', 'everything', 'config').length === 1, 'the first config');

    const config = collect(c.messages.messages$('config'));
    const all = collect(c.messages.messages$('*'));
    await b.messages.publish('config', 'v2');
    await b.messages.publish('metrics', 'ignored by config');
    await a.messages.publish('config', 'v3');
    await waitFor(() => all.items.length === 3, 'three messages on "*"');
    await waitFor(() => config.items.length === 2, 'two on "config"');

    expect(config.items.map((m) => `${m.from}:${String(m.payload)}`)).toEqual([
      'node-b:v2',
      'node-a:v3',
    ]);
    expect(all.items.map((m) => m.topic)).toEqual(['config', 'metrics', 'config']);
    expect(config.completed).toBe(false);

    // A subscription taken just before a publish gets it.
    const next = firstValueFrom(c.messages.messages$('config'));
    await a.messages.publish('config', 'v4');
    expect(await next).toMatchObject({ topic: 'config', from: 'node-a', payload: 'v4' });
    config.stop();
    all.stop();
  });

  it('collects query answers from all 3 apps: a value, an error answer and a no-handler answer', async () => {
    const [a] = members;
    const answers = await lastValueFrom(
      // A timeout far past jest's: the stream completes on the last answer, not at the timeout.
      a.messages.query('stats', { detail: true }, { timeout: 600_000 }).pipe(toArray()),
    );
    expect(byNode(answers)).toEqual([
      { node: 'node-a', ok: true, value: { node: 'node-a', detail: true, asker: 'node-a' } },
      {
        node: 'node-b',
        ok: false,
        reason: 'error',
        error: expect.stringContaining('stats are off on node-b'),
      },
      { node: 'node-c', ok: false, reason: 'no-handler', error: expect.any(String) },
    ]);

    // The whole result at once: every member answered, so it ended before its timeout.
    const result = await members[2].messages.queryAll('stats', { detail: false });
    expect(result.timedOut).toBe(false);
    expect(result.silent).toEqual([]);
    expect(result.gone).toEqual([]);
    expect(byNode(result.answers)[0]).toEqual({
      node: 'node-a',
      ok: true,
      value: { node: 'node-a', detail: false, asker: 'node-c' },
    });

    // The filter picks who is asked.
    const onlyB = await lastValueFrom(
      a.messages
        .query('stats', { detail: true }, { filter: (node) => node.id === 'node-b' })
        .pipe(toArray()),
    );
    expect(onlyB.map((answer) => answer.node)).toEqual(['node-b']);
  });

  it('refuses bad input with a GossipMessageError, nothing sent', async () => {
    const [a] = members;
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(GossipMessageError);
        return (err as GossipMessageError).reason;
      }
      throw new Error('expected a GossipMessageError');
    };
    expect(reason(() => a.messages.publish('', 'x'))).toBe('invalid');
    expect(reason(() => a.messages.send('no-such-node', 'config', 'x'))).toBe('unknown-node');
    expect(reason(() => a.messages.messages$(''))).toBe('invalid');
    expect(reason(() => a.messages.queryAll('', null))).toBe('invalid');
    expect(reason(() => a.messages.publish('config', 'x'.repeat(100 * 1024)))).toBe('too-large');
    // The Observable query is cold: the refusal is its error.
    await expect(lastValueFrom(a.messages.query('', null))).rejects.toBeInstanceOf(
      GossipMessageError,
    );
    const before = seen.length;
    await a.messages.publish('cache.invalidate', 'after the refusals');
    await waitFor(() => seen.length > before, 'the next good publish');
    expect(seen.slice(before).every((s) => s.message.payload === 'after the refusals')).toBe(true);
  });

  it('sends to one member only', async () => {
    const [a, b] = members;
    const before = seen.length;
    const result = await a.messages.send('node-b', 'cache.invalidate', 'only b');
    expect(result.delivered).toEqual(['node-b']);
    await waitFor(() => log('node-b', 'audit').includes('node-a:only b'), 'b to get it');
    // Then a broadcast: ordered after the send, so once everyone has it, nobody else got the send.
    await b.messages.publish('cache.invalidate', 'after');
    await waitFor(
      () => ids.every((node) => log(node, 'audit').includes('node-b:after')),
      'the broadcast',
    );
    expect(
      seen
        .slice(before)
        .filter((s) => s.message.payload === 'only b')
        .map((s) => s.node),
    ).toEqual(
      ['node-b', 'node-b', 'node-b'], // invalidate, audit, everything
    );
  });

  it('drops a member that crashes: publish names it missed, a query counts it gone, neither waits for a timeout', async () => {
    const [a] = members;
    const d = await start('node-d', [a.gossip.localNode().addr], true);
    members.push(d);
    await waitFor(
      () => members.every((m) => m.app.get(GossipDiscoveryService).members().length === 4),
      'every app to see node-d',
    );
    // A crash, as far as the others can tell: the sockets close with no leave announced.
    await d.gossip.close();
    const [published, asked] = await Promise.all([
      a.messages.publish('cache.invalidate', 'while d is down'),
      a.messages.queryAll('stats', { detail: false }, { timeout: 600_000 }),
    ]);
    expect([...published.delivered].sort()).toEqual(ids);
    expect(published.missed).toEqual(['node-d']);
    expect(asked.gone).toEqual(['node-d']);
    expect(asked.timedOut).toBe(false);
    expect(byNode(asked.answers).map((answer) => answer.node)).toEqual(ids);
  });

  it('completes messages$ when the app shuts down', async () => {
    const c = members[2];
    const stream = collect(c.messages.messages$('*'));
    await c.app.close();
    expect(stream.completed).toBe(true);
    await expect(async () => c.messages.publish('config', 'late')).rejects.toMatchObject({
      name: 'GossipMessageError',
      reason: 'closed',
    });
  });
});

describe('@OnClusterQuery: one handler per name', () => {
  @Injectable()
  class FirstStats {
    @OnClusterQuery('stats') answer(): number {
      return 1;
    }
  }
  @Injectable()
  class SecondStats {
    @OnClusterQuery('stats') report(): number {
      return 2;
    }
  }
  @Module({ providers: [SecondStats] })
  class ReportsModule {}

  it('fails the bootstrap naming both handlers, with the sockets closed', async () => {
    const sockets = openSockets();
    const moduleRef = await Test.createTestingModule({
      imports: [GossipModule.forRoot({ ...FAST, nodeId: 'twice' }), ReportsModule],
      providers: [FirstStats],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(
      /@OnClusterQuery\("stats"\) is on both (FirstStats\.answer and SecondStats\.report|SecondStats\.report and FirstStats\.answer)/,
    );
    await waitFor(() => openSockets() <= sockets, 'the gossip sockets to close');
    await app.close().catch(() => undefined);
  });
});

describe('@OnClusterQuery beside a handler registered on the engine', () => {
  @Injectable()
  class EngineHandler implements OnModuleInit {
    constructor(private readonly gossip: GossipService) {}
    onModuleInit(): void {
      this.gossip.engine.messages.handle('stats', () => 0);
    }
  }
  @Injectable()
  class DecoratedStats {
    @OnClusterQuery('stats') answer(): number {
      return 1;
    }
  }

  it('fails the bootstrap naming the decorated method', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [GossipModule.forRoot({ ...FAST, nodeId: 'collide' })],
      providers: [EngineHandler, DecoratedStats],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(
      /@OnClusterQuery\("stats"\) on DecoratedStats\.answer: .*already has a handler/,
    );
    await app.close().catch(() => undefined);
  });
});

/** Subscribes now and keeps what comes. */
function collect<T>(source: Observable<T>): { items: T[]; completed: boolean; stop(): void } {
  const out = { items: [] as T[], completed: false, stop: () => subscription.unsubscribe() };
  const subscription = source.subscribe({
    next: (item) => out.items.push(item),
    complete: () => (out.completed = true),
  });
  return out;
}

function byNode(answers: QueryAnswer[]): QueryAnswer[] {
  return [...answers].sort((x, y) => x.node.localeCompare(y.node));
}
