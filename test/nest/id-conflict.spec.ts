import { TerminusModule } from '@nestjs/terminus';
import { GossipHealthIndicator } from '../../lib/nest/health';
import { gossipApp } from './helpers';
import { waitFor } from '../support/wait';

const withHealth = { imports: [TerminusModule], providers: [GossipHealthIndicator] };

describe('health with a duplicate node id (issue 17)', () => {
  it('the process refused for using a live node id is down, naming the id and its holder', async () => {
    const a = await gossipApp({ nodeId: 'dup' }, withHealth);
    const aAddr = a.gossip.localNode().addr;
    const b = await gossipApp({ nodeId: 'other', join: [aAddr] });
    await waitFor(() => b.gossip.livePeers().some((n) => n.id === 'dup'), 'b sees dup');
    const copy = await gossipApp(
      { nodeId: 'dup', join: [b.gossip.localNode().addr], joinAttempts: 1 },
      withHealth,
    );
    const health = copy.app.get(GossipHealthIndicator);
    expect(health.isHealthy()).toEqual({
      gossip: expect.objectContaining({ status: 'down', idConflict: { id: 'dup', addr: aAddr } }),
    });
    // The live holder was never in doubt.
    expect(a.app.get(GossipHealthIndicator).isHealthy().gossip.status).toBe('up');
    expect(b.gossip.node('dup')).toMatchObject({ addr: aAddr, unreachable: false });
    await copy.app.close();
    await b.app.close();
    await a.app.close();
  });
});
