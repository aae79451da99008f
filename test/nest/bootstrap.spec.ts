import { Logger } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { GossipService } from '../../lib';
import { GossipHealthIndicator } from '../../lib/nest/health';
import { gossipApp } from './helpers';
import { freePort } from '../support/net';
import { waitFor } from '../support/wait';

describe("joinOnBootstrap: 'background'", () => {
  it('returns from bootstrap at once, reports joining through health, then joins', async () => {
    const port = await freePort();
    const joins = jest.spyOn(GossipService.prototype, 'join');
    const b = await gossipApp(
      {
        nodeId: 'bg-joiner',
        join: [`127.0.0.1:${port}`],
        joinOnBootstrap: 'background',
        joinBackoff: 50,
        joinMaxBackoff: 200,
      },
      { imports: [TerminusModule], providers: [GossipHealthIndicator] },
    );
    // 'wait' would spend joinAttempts (5) with backoff here; 'background' does not wait at all.
    expect(joins.mock.calls.length).toBeLessThan(5);
    joins.mockRestore();
    expect(b.gossip.status).toBe('joining');
    const health = b.app.get(GossipHealthIndicator);
    expect(health.isHealthy()).toEqual({
      gossip: expect.objectContaining({ status: 'down', gossip: 'joining' }),
    });

    const seed = await gossipApp({ nodeId: 'bg-seed', bindAddr: `127.0.0.1:${port}` });
    await waitFor(() => b.gossip.status === 'joined', 'the background join');
    await waitFor(() => health.isHealthy().gossip.status === 'up', 'healthy once joined');
    await b.app.close();
    await seed.app.close();
  });
});

describe('status comes from the engine', () => {
  it('follows a join, a leave and a close made on the engine directly', async () => {
    const a = await gossipApp({ nodeId: 'status-a' });
    const b = await gossipApp({ nodeId: 'status-b', joinOnBootstrap: 'background', join: [] });
    expect(b.gossip.status).toBe('joined'); // no seeds: it founds a cluster
    await b.gossip.engine.join([a.gossip.localNode().addr]);
    expect(b.gossip.livePeers().map((n) => n.id)).toEqual(['status-a']);
    await b.gossip.engine.leave();
    expect(b.gossip.status).toBe('left'); // before: 'joined', the service kept its own flag
    await b.gossip.engine.close();
    expect(b.gossip.status).toBe('closed');
    await b.app.close();
    await a.app.close();
  });
});

describe('shutdown', () => {
  it('the leaving node says so in its log', async () => {
    const a = await gossipApp({ nodeId: 'log-a' });
    const b = await gossipApp({ nodeId: 'log-b', join: [a.gossip.localNode().addr] });
    await waitFor(() => a.gossip.livePeers().length === 1, 'a sees b');
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    await b.app.close();
    const lines = log.mock.calls.map((c) => String(c[0]));
    log.mockRestore();
    expect(lines).toEqual(
      expect.arrayContaining([
        'node log-b leaving the cluster (1 live peer)',
        'node log-b left: a peer acknowledged',
        'node log-b closed its gossip sockets',
      ]),
    );
    await a.app.close();
  });
});
