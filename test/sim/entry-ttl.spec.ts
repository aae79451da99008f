import { Simulation } from '../../lib/sim';

jest.setTimeout(60_000);

/**
 * A lease: n0 writes `lease` with a 2 s TTL and refreshes it twice, then
 * stops. Nobody sees it deleted while it is refreshed; once the TTL passes
 * every node sees an ordinary `delete-key` and holds a tombstone.
 */
describe('entry TTL (simulated cluster of 8)', () => {
  const sim = new Simulation({ seed: 21, engine: { interval: 100 } });
  afterAll(() => sim.shutdown());

  it('deletes an entry that is not refreshed, and every node sees delete-key', async () => {
    const nodes = await sim.startCluster(8);
    const others = nodes.slice(1).map((n) => n.id);
    await sim.runRounds(10);
    const lease = sim.gossip('n0');

    lease.upsertLocal('lease', 'holder-A', { ttl: 2_000 });
    await sim.runUntil(
      () => others.every((id) => sim.liveKeys(id, 'n0').get('lease') === 'holder-A'),
      {
        timeout: 5_000,
      },
    );
    // Refresh twice (same value: no new version, only a new countdown).
    const versionAfterWrite = lease.localNode().version;
    await sim.runFor(1_500);
    lease.upsertLocal('lease', 'holder-A', { ttl: 2_000 });
    await sim.runFor(1_500);
    lease.upsertLocal('lease', 'holder-A', { ttl: 2_000 });
    const lastRefresh = sim.now();
    expect(lease.localNode().version).toBe(versionAfterWrite);
    const leaseDeletes = () =>
      sim.events.filter(({ event }) => event.type === 'delete-key' && event.key === 'lease');
    expect(leaseDeletes()).toEqual([]);

    await sim.runFor(1_990);
    expect(sim.liveKeys('n0', 'n0').get('lease')).toBe('holder-A');
    await sim.runFor(20);
    expect(sim.liveKeys('n0', 'n0').has('lease')).toBe(false);
    const seenAfter = await sim.runUntil(
      () => others.every((id) => !sim.liveKeys(id, 'n0').has('lease')),
      { timeout: 5_000, every: 10 },
    );
    console.log(`TTL expiry: every node saw the delete ${seenAfter} ms (virtual) after it expired`);

    // n0 hears its own expiry as a local event; every other node hears it once from n0.
    const [own, ...deletes] = leaseDeletes();
    expect(own).toMatchObject({ node: 'n0', event: { nodeId: 'n0', local: true } });
    expect(deletes.map((e) => e.node).sort()).toEqual([...others].sort());
    expect(deletes.every((e) => e.event.nodeId === 'n0' && e.at >= lastRefresh + 2_000)).toBe(true);
    for (const id of others) {
      const entry = sim.view(id, 'n0')?.entries.find((e) => e.key === 'lease');
      expect(entry?.deleted).toBe(true);
    }
  });

  it('a write without ttl makes the entry permanent; deleteLocal cancels the countdown', async () => {
    const g = sim.gossip('n1');
    g.upsertLocal('sticky', 'v1', { ttl: 500 });
    g.upsertLocal('sticky', 'v2'); // no ttl: permanent from here
    g.upsertLocal('gone', 'x', { ttl: 500 });
    g.deleteLocal('gone');
    g.upsertLocal('gone', 'again'); // rewritten without ttl after the delete
    await sim.runFor(2_000);
    expect(sim.liveKeys('n1', 'n1').get('sticky')).toBe('v2');
    expect(sim.liveKeys('n1', 'n1').get('gone')).toBe('again');
    expect(sim.liveKeys('n2', 'n1').get('gone')).toBe('again');
  });

  it('rejects a bad ttl, naming the field', () => {
    const g = sim.gossip('n2');
    for (const ttl of [0, -5, Number.NaN, Infinity, 2 ** 31, '100' as unknown as number]) {
      expect(() => g.upsertLocal('k', 'v', { ttl })).toThrow(
        /ttl must be a number of milliseconds/,
      );
    }
    expect(() => g.upsertLocal('k', 'v', 5 as never)).toThrow(/options must be an object/);
    expect(sim.liveKeys('n2', 'n2').has('k')).toBe(false);
  });

  it('a node that left or closed does not act on pending TTLs', async () => {
    const g = sim.gossip('n3');
    g.upsertLocal('ephemeral', 'x', { ttl: 300 });
    await sim.settle(g.leave());
    await sim.runFor(1_000);
    expect(sim.logs.filter((l) => l.node === 'n3' && l.level === 'error')).toEqual([]);
    expect(g.localNode().entries.find((e) => e.key === 'ephemeral')?.deleted).toBe(false);
  });
});
