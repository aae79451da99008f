import { Test } from '@nestjs/testing';
import { Injectable } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { GossipModule, GossipService, OnGossipEvent, type GossipEvent } from '../../lib';
import { GossipHealthIndicator } from '../../lib/nest/health';
import { FAST, gossipApp, openSockets } from './helpers';
import { freePort } from '../support/net';
import { waitFor } from '../support/wait';

@Injectable()
class JoinRecorder {
  readonly joins: string[] = [];

  @OnGossipEvent('join')
  onJoin(event: GossipEvent): void {
    this.joins.push(event.nodeId);
  }
}

describe('GossipModule lifecycle', () => {
  it('holds events that arrive before bootstrap and delivers them to handlers', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [GossipModule.forRoot({ ...FAST, nodeId: 'early-a' })],
      providers: [JoinRecorder],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const early = app.get(GossipService);
    // The engine is up as soon as the module compiles: a peer can join before bootstrap.
    const b = await gossipApp({ nodeId: 'early-b', join: [early.localNode().addr] });
    await waitFor(() => early.livePeers().some((n) => n.id === 'early-b'), 'early-a knows early-b');
    const recorder = app.get(JoinRecorder);
    expect(recorder.joins).toEqual([]);
    await app.init();
    await waitFor(() => recorder.joins.includes('early-b'), 'the held join event');
    expect(recorder.joins).toEqual(['early-b']);
    await b.app.close();
    await app.close();
  });

  it('keeps retrying the seeds in the background, then joins when one appears', async () => {
    const port = await freePort();
    const b = await gossipApp(
      {
        nodeId: 'late-joiner',
        join: [`127.0.0.1:${port}`],
        joinAttempts: 2,
        joinBackoff: 50,
        joinMaxBackoff: 200,
      },
      { imports: [TerminusModule], providers: [GossipHealthIndicator] },
    );
    // Bootstrap finished without a seed: not a crash, just not joined yet, and not healthy.
    expect(b.gossip.status).toBe('joining');
    const health = b.app.get(GossipHealthIndicator);
    expect(health.isHealthy()).toEqual({
      gossip: expect.objectContaining({ status: 'down', gossip: 'joining', members: 1 }),
    });

    const a = await gossipApp({ nodeId: 'late-seed', bindAddr: `127.0.0.1:${port}` });
    await waitFor(() => b.gossip.status === 'joined', 'background join');
    await waitFor(() => health.isHealthy().gossip.status === 'up', 'healthy once joined');
    await waitFor(
      () => a.gossip.livePeers().some((n) => n.id === 'late-joiner'),
      'seed sees joiner',
    );
    await b.app.close();
    await a.app.close();
  });

  it('joinFailFast fails the bootstrap and releases the sockets', async () => {
    const port = await freePort();
    const before = openSockets();
    const moduleRef = await Test.createTestingModule({
      imports: [
        GossipModule.forRoot({
          ...FAST,
          join: [`127.0.0.1:${port}`],
          joinAttempts: 2,
          joinFailFast: true,
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(
      `GossipModule: could not join any of 127.0.0.1:${port} in 2 attempts`,
    );
    expect(app.get(GossipService).status).toBe('closed');
    await waitFor(() => openSockets() <= before, 'sockets released', 5000);
  });

  it('counts a peer that reached us first as joined, and stops retrying on shutdown', async () => {
    const a = await gossipApp({ nodeId: 'reached-a' });
    const port = await freePort();
    // b's seed is dead, but a joins b: b is in a cluster all the same.
    const b = await gossipApp({
      nodeId: 'reached-b',
      join: [`127.0.0.1:${port}`],
      joinAttempts: 1,
      joinMaxBackoff: 100,
    });
    expect(b.gossip.status).toBe('joining');
    await a.gossip.join([b.gossip.localNode().addr]);
    await waitFor(() => b.gossip.status === 'joined', 'b joined through a');
    const started = Date.now();
    await b.app.close();
    await a.app.close();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('one port for HTTP and gossip', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['', undefined], // gossip on every interface, HTTP on the default host
  ])(
    'gossip bound on "%s:N", app.listen(N) fails naming the clash, and the node leaves at once',
    async (gossipHost, httpHost) => {
      const a = await gossipApp({ nodeId: 'clash-peer' });
      const port = await freePort();
      const bindAddr = `${gossipHost}:${port}`;
      const moduleRef = await Test.createTestingModule({
        imports: [
          GossipModule.forRoot({
            ...FAST,
            nodeId: 'clash-node',
            bindAddr,
            advertiseAddr: `127.0.0.1:${port}`,
            join: [a.gossip.localNode().addr],
          }),
        ],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      const listening = httpHost ? app.listen(port, httpHost) : app.listen(String(port));
      await expect(listening).rejects.toThrow(
        `bindAddr is the HTTP port too: gossip and HTTP both use port ${port}; give gossip its own port (got "${bindAddr}")`,
      );
      // The peer learns of the leave, rather than holding the node unreachable for nodeExpiry.
      const seen = a.gossip.node('clash-node');
      expect(seen?.left).toBe(true);
      expect(seen?.unreachable).toBe(false);
      expect(app.get(GossipService).status).toBe('left');
      await app.close();
      await a.app.close();
    },
  );

  it('another HTTP port is left alone', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [GossipModule.forRoot(FAST)],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(await freePort(), '127.0.0.1');
    expect(app.get(GossipService).status).toBe('joined');
    await app.close();
  });
});
