import type { Gossip, MemberFilter } from '../../lib/engine';
import { LoopbackCluster, TestNode } from '../support/cluster';
import { waitFor } from '../support/wait';

jest.setTimeout(60_000);

/** Ids of the live members `gossip` sees, optionally filtered. */
const memberIds = (gossip: Gossip, filter?: MemberFilter) =>
  gossip.discovery.members(filter).map((m) => m.id);

const KEYS = Array.from({ length: 500 }, (_, i) => `job-${i}`);

/** Every node's owner and 3-owner list of every key, as one string per node. */
function ownershipView(node: TestNode): string {
  return KEYS.map(
    (k) =>
      `${node.gossip.discovery.owner(k, { holding: 'rpc' })}|${node.gossip.discovery.owners(k, 3).join(',')}`,
  ).join(';');
}

/**
 * Ten real nodes on loopback, interval 100 ms. After churn (a leave, a crash,
 * a join, a restart) every running node computes the same owners; and after
 * a crash, we measure how long until every survivor names the same new owner.
 */
describe('ownership agreement on 10 loopback nodes', () => {
  const cluster = new LoopbackCluster({ interval: 100, nodeExpiry: 20_000 });
  afterAll(() => cluster.closeAll());

  async function converge(what: string): Promise<void> {
    const want = () => cluster.running.map((n) => n.id).sort();
    await waitFor(
      () =>
        cluster.running.every((n) => memberIds(n.gossip).join() === want().join()) &&
        cluster.running.every(
          (n) => memberIds(n.gossip, { holding: 'rpc' }).join() === want().join(),
        ),
      what,
      15_000,
    );
  }

  it('agrees on every owner after churn', async () => {
    const first = await cluster.start('own-0');
    first.gossip.upsertLocal('rpc', 'own-0');
    for (let i = 1; i < 10; i++) {
      const node = await cluster.start(`own-${i}`);
      await node.gossip.join([first.addr]);
      node.gossip.upsertLocal('rpc', node.id);
    }
    await converge('10 nodes formed');

    // Churn: one leaves, one crashes, one new joins, one restarts with its id.
    const byId = (id: string) => cluster.running.find((n) => n.id === id) as TestNode;
    await byId('own-3').gossip.leave();
    await cluster.crash(byId('own-3'));
    await cluster.crash(byId('own-5'));
    const joiner = await cluster.start('own-10');
    await joiner.gossip.join([first.addr]);
    joiner.gossip.upsertLocal('rpc', 'own-10');
    await cluster.crash(byId('own-7'));
    const restarted = await cluster.start('own-7');
    await restarted.gossip.join([first.addr]);
    restarted.gossip.upsertLocal('rpc', 'own-7');
    await converge('after churn');

    const views = cluster.running.map(ownershipView);
    expect(new Set(views).size).toBe(1);
    const owners = new Set(KEYS.map((k) => first.gossip.discovery.owner(k)));
    expect(owners.has('own-3')).toBe(false);
    expect(owners.has('own-5')).toBe(false);
    expect(owners.size).toBe(cluster.running.length); // 500 keys land on all 9
  });

  it('after a crash, every survivor names the same new owner within detection time', async () => {
    const extra = await cluster.start('own-11');
    await extra.gossip.join([cluster.running[0].addr]);
    extra.gossip.upsertLocal('rpc', 'own-11');
    await converge('10 nodes again');
    expect(cluster.running).toHaveLength(10);
    const viewer = cluster.running[0];
    const victim = cluster.running.find((n) => n !== viewer) as TestNode;
    const key = KEYS.find((k) => viewer.gossip.discovery.owner(k) === victim.id) as string;
    const survivors = cluster.running.filter((n) => n !== victim);
    const crashedAt = Date.now();
    await cluster.crash(victim);
    // Within the detection time: by the time every survivor holds the victim
    // unreachable, they all name one new owner. (How long detection takes is
    // the simulator's to check, on its virtual clock: test/sim/ownership.spec.ts.)
    await waitFor(
      () => survivors.every((n) => n.gossip.node(victim.id)?.unreachable === true),
      'every survivor to hold the victim unreachable',
      15_000,
      { every: 5 },
    );
    const named = new Set(survivors.map((n) => n.gossip.discovery.owner(key)));
    console.log(
      `N=${survivors.length + 1}, interval 100 ms, real sockets: every survivor held the victim unreachable ${Date.now() - crashedAt} ms after the crash, naming ${[...named].join(', ')} the owner of ${key}`,
    );
    expect(named.size).toBe(1);
    expect(named.has(victim.id)).toBe(false);
  });
});
