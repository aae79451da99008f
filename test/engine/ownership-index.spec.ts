import { Discovery, type DiscoverySource } from '../../lib/engine/discovery/discovery';
import { KeyHash, rendezvousOwner, rendezvousOwners } from '../../lib/engine/discovery/ownership';
import { OwnerCache } from '../../lib/engine/discovery/owner-cache';
import { OWNER_CACHE_ANSWERS } from '../../lib/engine/vocabulary/tuning';
import type { NodeRecord } from '../../lib/engine/state/node-record';
import type { NodeMetadata } from '../../lib/engine';
import { Simulation } from '../../lib/sim';

/** A node's user entries that log each write with a version, as NodeRecord does. */
class VersionedEntries extends Map<string, string> {
  maxVersion = 0;
  readonly log: Array<{ key: string; value: string; version: number; deleted: boolean }> = [];

  override set(key: string, value: string): this {
    super.set(key, value);
    this.log.push({ key, value, version: ++this.maxVersion, deleted: false });
    return this;
  }

  override delete(key: string): boolean {
    const had = super.delete(key);
    if (had) this.log.push({ key, value: '', version: ++this.maxVersion, deleted: true });
    return had;
  }
}

/** What discovery reads of a record, counting how often it is read. */
class FakeRecord {
  vitals = { status: 'alive' };
  left = false;
  reads = 0;
  readonly entries = new VersionedEntries();
  constructor(
    readonly id: string,
    entries: Map<string, string>,
  ) {
    for (const [key, value] of entries) this.entries.set(key, value);
  }
  get maxVersion(): number {
    return this.entries.maxVersion;
  }
  liveEntries(): Map<string, string> {
    this.reads++;
    return new Map(this.entries);
  }
  forEachAbove(
    version: number,
    visit: (entry: { key: string; value: string; deleted: boolean; internal: boolean }) => boolean,
  ): void {
    this.reads++;
    const latest = new Map(this.entries.log.map((e) => [e.key, e]));
    for (const e of this.entries.log) {
      if (e.version > version && latest.get(e.key) === e && !visit({ ...e, internal: false }))
        return;
    }
  }
}

/** A cluster of `size` fake members with 20 keys each; `rpc` is held by the first `rpcHolders`. */
function cluster(size: number, rpcHolders: number) {
  const records = new Map<string, FakeRecord>();
  for (let i = 0; i < size; i++) {
    const id = `node-${String(i).padStart(4, '0')}`;
    const entries = new Map<string, string>();
    for (let k = 0; k < 20; k++) entries.set(`${id}/key-${k}`, 'v');
    if (i < rpcHolders) entries.set('rpc', `10.0.0.${i}:4000`);
    records.set(id, new FakeRecord(id, entries));
  }
  let recordCalls = 0;
  const source: DiscoverySource = {
    record: (id) => {
      recordCalls++;
      return records.get(id) as unknown as NodeRecord | undefined;
    },
    describe: (r) => ({
      id: r.id,
      addr: '',
      version: 0,
      left: r.left,
      unreachable: false,
      status: r.left ? 'left' : 'alive',
    }),
  };
  const discovery = new Discovery(source);
  for (const id of records.keys()) discovery.refresh(id);
  const reset = () => {
    recordCalls = 0;
    for (const r of records.values()) r.reads = 0;
  };
  const reads = () => recordCalls + [...records.values()].reduce((sum, r) => sum + r.reads, 0);
  return { records, discovery, reset, reads };
}

describe('discovery index: reads in proportion to the answer, not the cluster', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([10, 1000])(
    'holders(key) reads no record and scores 3 holders among %i members',
    (size) => {
      const { discovery, reset, reads } = cluster(size, 3);
      reset();
      const score = jest.spyOn(KeyHash.prototype, 'score');
      expect(discovery.holders('rpc')).toEqual([
        { nodeId: 'node-0000', value: '10.0.0.0:4000' },
        { nodeId: 'node-0001', value: '10.0.0.1:4000' },
        { nodeId: 'node-0002', value: '10.0.0.2:4000' },
      ]);
      expect(discovery.holder('rpc', 'node-0001')).toEqual({
        nodeId: 'node-0001',
        value: '10.0.0.1:4000',
      });
      expect(discovery.holder('rpc', 'node-0005')).toBeUndefined();
      // Ownership among the rpc holders scores those 3, whatever the cluster's size.
      const owner = discovery.owner('tenant-1', { holding: 'rpc' });
      expect(score).toHaveBeenCalledTimes(3);
      expect(owner).toBe(rendezvousOwner('tenant-1', ['node-0000', 'node-0001', 'node-0002']));
      expect(discovery.owners('tenant-1', 2, { holding: 'rpc' })[0]).toBe(owner);
      expect(reads()).toBe(0);
    },
  );

  it('owner(key) over all members agrees with the pure function, reading no record', () => {
    const { records, discovery, reset, reads } = cluster(500, 0);
    reset();
    const ids = [...records.keys()];
    for (let i = 0; i < 50; i++) {
      const key = `tenant-${i}`;
      expect(discovery.owner(key)).toBe(rendezvousOwner(key, ids));
      expect(discovery.owners(key, 3)[0]).toBe(discovery.owner(key));
    }
    expect(reads()).toBe(0);
  });

  it('a change re-reads only the node it names, and leaves the others in place', () => {
    const { records, discovery, reset, reads } = cluster(1000, 3);
    const changed = records.get('node-0001') as FakeRecord;
    changed.entries.set('rpc', '10.0.0.99:4000');
    reset();
    discovery.apply([
      { type: 'upsert-key', nodeId: 'node-0001', key: 'rpc', value: '10.0.0.99:4000' },
      { type: 'upsert-key', nodeId: 'node-0001', key: 'zone', value: 'a' },
    ]);
    expect(reads()).toBe(2); // one record() and one read of its two new entries, for node-0001 only
    expect(discovery.holder('rpc', 'node-0001')?.value).toBe('10.0.0.99:4000');

    // Unreachable: gone from every read; back: present again.
    changed.vitals.status = 'unreachable';
    discovery.refresh('node-0001');
    expect(discovery.holders('rpc').map((h) => h.nodeId)).toEqual(['node-0000', 'node-0002']);
    expect(discovery.members().some((m) => m.id === 'node-0001')).toBe(false);
    expect(discovery.holders('node-0001/key-0')).toEqual([]);
    changed.vitals.status = 'alive';
    discovery.refresh('node-0001');
    expect(discovery.members()).toHaveLength(1000);
    expect(discovery.holders('node-0001/key-0')).toEqual([{ nodeId: 'node-0001', value: 'v' }]);

    // Left, then expired (no record at all).
    changed.left = true;
    discovery.refresh('node-0001');
    expect(discovery.members()).toHaveLength(999);
    records.delete('node-0001');
    discovery.refresh('node-0001');
    expect(discovery.members()).toHaveLength(999);
    expect(discovery.holders('rpc')).toHaveLength(2);
  });

  it('answers prefix reads as plain data, keys sorted', () => {
    const { discovery } = cluster(3, 1);
    expect(discovery.holdersOfPrefix('node-0002/key-1')).toEqual([
      {
        nodeId: 'node-0002',
        values: Object.fromEntries(
          Array.from({ length: 20 }, (_, k) => `node-0002/key-${k}`)
            .filter((k) => k.startsWith('node-0002/key-1'))
            .sort()
            .map((k) => [k, 'v']),
        ),
      },
    ]);
    expect(JSON.parse(JSON.stringify(discovery.holders('rpc')))).toEqual(discovery.holders('rpc'));
  });
});

describe('owner answers are remembered, and dropped on every change they depend on', () => {
  const keys = Array.from({ length: 200 }, (_, i) => `tenant-${i}`);
  const filters = [undefined, { holding: 'rpc' }, { holding: 'zone', value: 'a' }];

  /** Every answer computed afresh from the records by the pure rendezvous functions. */
  function uncached(records: Map<string, FakeRecord>): string[] {
    const live = [...records.values()].filter((r) => r.vitals.status === 'alive' && !r.left);
    const answers: string[] = [];
    for (const filter of filters) {
      const ids = live
        .filter((r) => {
          if (!filter) return true;
          const value = r.entries.get(filter.holding);
          return value !== undefined && (filter.value === undefined || value === filter.value);
        })
        .map((r) => r.id);
      for (const key of keys) {
        answers.push(`${rendezvousOwner(key, ids)} ${rendezvousOwners(key, ids, 3).join(',')}`);
      }
    }
    return answers;
  }

  /** The same answers through discovery, whose cache is warm after the first call. */
  function served(discovery: Discovery): string[] {
    const answers: string[] = [];
    for (const filter of filters) {
      for (const key of keys) {
        answers.push(
          `${discovery.owner(key, filter)} ${discovery.owners(key, 3, filter).join(',')}`,
        );
      }
    }
    return answers;
  }

  it('agrees with the uncached rendezvous functions after a join, leave, unreachable, reachable, holder upsert and delete', () => {
    const { records, discovery } = cluster(20, 10);
    for (const id of ['node-0000', 'node-0003', 'node-0012', 'node-0015'])
      (records.get(id) as FakeRecord).entries.set('zone', 'a');
    (records.get('node-0004') as FakeRecord).entries.set('zone', 'b');
    for (const id of records.keys()) discovery.refresh(id);
    const score = jest.spyOn(KeyHash.prototype, 'score');
    let before = served(discovery);
    expect(before).toEqual(uncached(records));
    // Warm: asking again hashes nothing.
    score.mockClear();
    expect(served(discovery)).toEqual(before);
    expect(score).not.toHaveBeenCalled();

    /** Applies one change, then checks that answers moved and match the pure functions. */
    const after = (change: () => void, ...touched: string[]) => {
      change();
      for (const id of touched) discovery.refresh(id);
      const now = served(discovery);
      expect(now).toEqual(uncached(records));
      expect(now).not.toEqual(before); // the change moved some answer: the cache was dropped
      before = now;
    };
    const record = (id: string) => records.get(id) as FakeRecord;
    const joiner = new FakeRecord(
      'node-0020',
      new Map([
        ['rpc', 'x'],
        ['zone', 'a'],
      ]),
    );
    after(() => records.set(joiner.id, joiner), joiner.id); // join
    after(() => (record('node-0003').left = true), 'node-0003'); // leave
    after(() => (record('node-0000').vitals.status = 'unreachable'), 'node-0000');
    after(() => (record('node-0000').vitals.status = 'alive'), 'node-0000'); // reachable
    after(() => record('node-0004').entries.set('zone', 'a'), 'node-0004'); // holder value changed
    after(() => record('node-0011').entries.set('rpc', 'y'), 'node-0011'); // holder added
    after(() => record('node-0012').entries.delete('zone'), 'node-0012'); // holder deleted
    after(() => records.delete('node-0020'), 'node-0020'); // expired: no record at all

    // A change elsewhere (a key no filter reads) keeps the remembered answers.
    record('node-0001').entries.set('node-0001/key-0', 'changed');
    discovery.refresh('node-0001');
    score.mockClear();
    expect(served(discovery)).toEqual(before);
    expect(score).not.toHaveBeenCalled();
  });

  it('remembers at most OWNER_CACHE_ANSWERS answers, then starts over', () => {
    const cache = new OwnerCache();
    for (let i = 0; i < OWNER_CACHE_ANSWERS; i++) cache.set(`k${i}`, 1, ['a']);
    expect(cache.get('k0', 1)).toEqual(['a']);
    cache.set('one-more', 1, ['b']);
    expect(cache.get('k0', 1)).toBeUndefined();
    expect(cache.get('one-more', 1)).toEqual(['b']);
  });

  it('returns a copy of remembered owners: changing it changes no later answer', () => {
    const { discovery } = cluster(10, 0);
    const first = discovery.owners('tenant-1', 3);
    first.reverse();
    expect(discovery.owners('tenant-1', 3)).toEqual([...first].reverse());
  });
});

/** What the old reads computed by copying every live node: the index must always agree. */
function bruteHolders(members: NodeMetadata[], sim: Simulation, observer: string, key: string) {
  const out: Array<{ nodeId: string; value: string }> = [];
  for (const m of members) {
    const value = sim.liveKeys(observer, m.id).get(key);
    if (value !== undefined) out.push({ nodeId: m.id, value });
  }
  return out;
}

describe('discovery index fed by the engine (simulator)', () => {
  const sim = new Simulation({ seed: 7, engine: { interval: 100, nodeExpiry: 3_000 } });
  afterAll(() => sim.shutdown());

  it('agrees with a full recomputation through writes, a leave, a crash and expiry', async () => {
    const nodes = await sim.startCluster(6);
    const ids = sim.ids(nodes);
    const check = () => {
      for (const observer of sim.running.map((n) => n.id)) {
        const discovery = sim.gossip(observer).discovery;
        const members = sim
          .members(observer)
          .filter((m) => !m.left && !m.unreachable)
          .sort((a, b) => (a.id < b.id ? -1 : 1));
        expect(discovery.members()).toEqual(members);
        for (const key of ['rpc', 'zone']) {
          expect(discovery.holders(key)).toEqual(bruteHolders(members, sim, observer, key));
        }
      }
    };
    await sim.runFor(2_000);
    ids.forEach((id, i) => sim.gossip(id).upsertLocal('rpc', `addr-${i}`));
    sim.gossip(ids[0]).upsertLocal('zone', 'a');
    check(); // local writes are indexed at once
    await sim.runFor(1_000);
    check();
    sim.gossip(ids[1]).deleteLocal('rpc');
    await sim.settle(sim.gossip(ids[2]).leave());
    await sim.runFor(1_000);
    check();
    sim.crash(ids[3]);
    await sim.runFor(2_000);
    check();
    await sim.runFor(4_000); // past nodeExpiry
    check();
    expect(
      sim
        .gossip(ids[0])
        .discovery.members()
        .map((m) => m.id),
    ).toEqual([ids[0], ids[1], ids[4], ids[5]].sort());
  });
});
