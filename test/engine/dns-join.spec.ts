import type { GossipOptions } from '../../lib/engine';
import { LoopbackCluster, TestNode, liveIds } from '../support/cluster';
import { LoopbackDns } from '../support/dnsmasq';
import { waitFor } from '../support/wait';

jest.setTimeout(30_000);

// dnsmasq comes from Debian's dnsmasq-base package; .ci/run installs it.
describe('join by DNS name (dnsmasq on 127.0.0.1)', () => {
  let dns: LoopbackDns;
  let cluster: LoopbackCluster;
  const seeds = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

  beforeAll(async () => {
    if (!LoopbackDns.available())
      throw new Error('dnsmasq is not installed (apt-get install dnsmasq-base)');
    dns = await LoopbackDns.start({
      'seeds.gossip.test': seeds,
      'only-me.gossip.test': ['127.0.0.5'],
    });
  });
  afterAll(() => dns?.stop());
  afterEach(() => cluster.closeAll());

  /**
   * Three nodes on 127.0.0.2-4 and a joiner on 127.0.0.1, all on one port,
   * so the name needs no port. The joiner is last.
   */
  async function seedNodes(joinerOptions: Partial<GossipOptions> = {}): Promise<TestNode[]> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const port = 30000 + Math.floor(Math.random() * 20000);
      cluster = new LoopbackCluster({ resolver: dns.resolver() });
      try {
        const nodes: TestNode[] = [];
        for (const [i, ip] of seeds.entries())
          nodes.push(await cluster.start(`seed${i}`, { bindAddr: `${ip}:${port}` }));
        nodes.push(
          await cluster.start('joiner', { bindAddr: `127.0.0.1:${port}`, ...joinerOptions }),
        );
        return nodes;
      } catch {
        await cluster.closeAll(); // port taken on one address: try another
      }
    }
    throw new Error('no free port on 127.0.0.2-4');
  }

  it('a name resolving to three nodes joins all three', async () => {
    const [joiner, ...nodes] = (await seedNodes()).reverse();
    const joined = await joiner.gossip.join(['seeds.gossip.test']); // port defaults to ours
    expect(joined.sort()).toEqual(['seed0', 'seed1', 'seed2']);
    const all = ['joiner', 'seed0', 'seed1', 'seed2'];
    await waitFor(
      () => [joiner, ...nodes].every((n) => liveIds(n.gossip).join() === all.join()),
      'all four to see all',
    );
  });

  it('resolves [] when the name resolves only to this node', async () => {
    cluster = new LoopbackCluster({ resolver: dns.resolver() });
    const me = await cluster.start('me', { bindAddr: '127.0.0.5:0' });
    const port = me.addr.split(':')[1];
    await expect(me.gossip.join([`only-me.gossip.test:${port}`])).resolves.toEqual([]);
  });

  it('re-resolves the name and finds a node that appeared later', async () => {
    const nodes = await seedNodes({ resolveInterval: 200 });
    const joiner = nodes[3];
    const port = nodes[0].addr.split(':')[1];
    await nodes[2].gossip.close(); // 127.0.0.4 is not up yet
    expect((await joiner.gossip.join(['seeds.gossip.test'])).sort()).toEqual(['seed0', 'seed1']);
    // A brand-new node appears at 127.0.0.4 knowing nobody; only DNS can lead to it.
    const late = await cluster.start('late', { bindAddr: `127.0.0.4:${port}` });
    await waitFor(
      () => liveIds(joiner.gossip).includes('late'),
      'the joiner to find the late node via DNS',
    );
    await waitFor(
      () => liveIds(late.gossip).includes('seed0'),
      'the late node to learn the cluster',
    );
  });
});
