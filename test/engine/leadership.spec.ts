import { rendezvousOwner, type NodeMetadata } from '../../lib/engine';
import { Leadership } from '../../lib/engine/discovery/leadership';
import { leaderKey, parseClaim } from '../../lib/engine/discovery/leader-claim';
import { leaderOf, quorumOf, type Standing } from '../../lib/engine/discovery/leader-rule';
import { leadershipTiming, type LeadershipHost } from '../../lib/engine/discovery/leadership';
import { formatClaim } from '../../lib/engine/discovery/leader-claim';

/** A view of fixed nodes whose entries the test sets; `self` writes through `write`. */
function fakeHost(self: string, live: string[], down: string[] = []) {
  const values = new Map<string, string>();
  const at = (id: string, key: string) => `${id}\u0000${key}`;
  let now = 0;
  // Full syncs asked for after a gap: each waits until the test settles it.
  const resyncs: Array<(done: boolean) => void> = [];
  const host: LeadershipHost = {
    nodeId: self,
    nodes: (): NodeMetadata[] => [
      ...live.map((id) => ({
        id,
        addr: id,
        version: 1,
        left: false,
        unreachable: false,
        status: 'alive' as const,
      })),
      ...down.map((id) => ({
        id,
        addr: id,
        version: 1,
        left: false,
        unreachable: true,
        status: 'unreachable' as const,
      })),
    ],
    standing: (id): Standing | undefined =>
      live.includes(id) ? 'live' : down.includes(id) ? 'unreachable' : undefined,
    value: (id, key) => values.get(at(id, key)),
    ready: () => true,
    writable: () => true,
    write: (key, value) => values.set(at(self, key), value),
    remove: (key) => values.delete(at(self, key)),
    warn: () => undefined,
    resync: () => new Promise<boolean>((resolve) => resyncs.push(resolve)),
  };
  return {
    host,
    resyncs,
    set: (id: string, key: string, value: string) => values.set(at(id, key), value),
    get: (id: string, key: string) => values.get(at(id, key)),
    clock: { now: () => now },
    advance: (ms: number) => (now += ms),
  };
}

describe('leadership claims', () => {
  it('reads back what it writes, and reads anything else as a harmless standby', () => {
    for (const claim of [
      { leading: true, term: 7, beat: 12 },
      { leading: false, term: 3, beat: 0 },
      { leading: false, term: 3, beat: 9, echoes: 'node with spaces' },
    ]) {
      expect(parseClaim(formatClaim(claim))).toEqual(claim);
    }
    expect(parseClaim('leading 4')).toEqual({ leading: true, term: 4, beat: 0 });
    expect(parseClaim('yes please')).toEqual({ leading: false, term: 0, beat: 0 });
    expect(parseClaim('leading 99999999999999999999')).toEqual({
      leading: false,
      term: 0,
      beat: 0,
    });
  });
});

describe('the leader rule', () => {
  it('is the rendezvous owner of the role among live holders of leader:<role>', () => {
    const f = fakeHost('a', ['a', 'b', 'c', 'd'], ['e']);
    for (const id of ['a', 'b', 'c', 'e']) f.set(id, leaderKey('jobs'), 'standby 0');
    expect(leaderOf(f.host, 'jobs')).toBe(rendezvousOwner('jobs', ['a', 'b', 'c']));
  });

  it('names nobody when fewer than a majority of expectedSize are live candidates', () => {
    expect(quorumOf(5)).toBe(3);
    expect(quorumOf(4)).toBe(3);
    const f = fakeHost('a', ['a', 'b'], ['c', 'd', 'e']);
    for (const id of ['a', 'b', 'c', 'd', 'e']) f.set(id, leaderKey('jobs'), 'standby 0');
    expect(leaderOf(f.host, 'jobs', { expectedSize: 5 })).toBeUndefined();
    expect(leaderOf(f.host, 'jobs', { expectedSize: 3 })).toBeDefined();
  });
});

describe('Leadership on one node', () => {
  it('with the quorum guard, counts a member back from unreachable only after settle (its claim here may be stale)', () => {
    const live = ['a', 'b'];
    const down = ['c', 'd', 'e'];
    const f = fakeHost('a', live, down);
    const role = ['jobs', 'x', 'y', 'z', 'w'].find(
      (r) => rendezvousOwner(r, ['a', 'b', 'c']) === 'a',
    ) as string;
    for (const id of ['b', 'c', 'd', 'e']) f.set(id, leaderKey(role), 'standby 1');
    const timing = leadershipTiming(100);
    const leadership = new Leadership(f.host, f.clock, timing);
    leadership.campaign(role, { expectedSize: 5 });
    expect(leadership.leader(role)).toBeUndefined(); // 2 of 5: no quorum
    // c comes back, still showing the standby claim it wrote before the cut.
    down.splice(down.indexOf('c'), 1);
    live.push('c');
    leadership.refresh();
    expect(leadership.leader(role)).toBeUndefined();
    expect(parseClaim(f.get('a', leaderKey(role)) as string).leading).toBe(false);
    f.advance(timing.settle - 1);
    leadership.tick();
    expect(leadership.leader(role)).toBeUndefined();
    // Meanwhile an exchange brought its claim: it led on the other side. Once settled, it counts, and blocks.
    f.set('c', leaderKey(role), 'leading 2 7');
    f.advance(1);
    leadership.tick();
    expect(leadership.leader(role)).toBe('a');
    expect(parseClaim(f.get('a', leaderKey(role)) as string).leading).toBe(false);
  });

  it('takes a term above every term it has seen, and waits for a live rival to stand down', () => {
    const f = fakeHost('a', ['a', 'b'], ['c']);
    // Only a and b are live candidates: a role the rule gives to a.
    const role = ['jobs', 'x', 'y', 'z'].find(
      (r) => rendezvousOwner(r, ['a', 'b']) === 'a',
    ) as string;
    f.set('c', leaderKey(role), 'standby 41'); // an unreachable node's older term still counts
    f.set('b', leaderKey(role), 'leading 40 3');
    const leadership = new Leadership(f.host, f.clock, leadershipTiming(100));
    leadership.campaign(role);
    expect(leadership.leader(role)).toBe('a');
    expect(leadership.isLeader(role)).toBe(false); // b still says it leads
    f.set('b', leaderKey(role), 'standby 40');
    leadership.refresh();
    expect(leadership.isLeader(role)).toBe(true);
    expect(leadership.token(role)).toBe(42);
    expect(parseClaim(f.get('a', leaderKey(role)) as string)).toMatchObject({
      leading: true,
      term: 42,
    });
  });

  it('distrusts itself after its rounds stopped for longer than staleAfter', async () => {
    const f = fakeHost('a', ['a']);
    const leadership = new Leadership(f.host, f.clock, leadershipTiming(100));
    leadership.campaign('solo');
    expect(leadership.isLeader('solo')).toBe(true);
    f.advance(600); // a pause: no tick ran
    expect(leadership.isLeader('solo')).toBe(false);
    leadership.tick(); // the overdue round notices the gap, and asks for a full sync
    expect(f.resyncs).toHaveLength(1);
    f.resyncs[0](true);
    await Promise.resolve();
    expect(leadership.isLeader('solo')).toBe(false);
    for (let i = 0; i < 5; i++) {
      f.advance(100);
      leadership.tick();
    }
    expect(leadership.isLeader('solo')).toBe(true);
    expect(leadership.token('solo')).toBe(2);
  });

  it('after a gap, leads again only once a full sync completed, above the terms it brought', async () => {
    // `a` led in term 1 and was paused; meanwhile `b` took term 2, which gossip has not brought yet.
    const f = fakeHost('a', ['a', 'b']);
    const leadership = new Leadership(f.host, f.clock, leadershipTiming(100));
    leadership.campaign('jobs');
    f.set('b', leaderKey('jobs'), formatClaim({ leading: false, term: 0, beat: 0 }));
    leadership.refresh();
    expect(leadership.leader('jobs')).toBe('a'); // the rule prefers `a` among these two
    expect(leadership.token('jobs')).toBe(1);
    f.advance(5_000);
    leadership.tick();
    // Past resyncFor, with the sync still running (or failed): no leading.
    for (let i = 0; i < 10; i++) {
      f.advance(100);
      leadership.tick();
    }
    expect(f.resyncs).toHaveLength(1); // one at a time
    expect(leadership.isLeader('jobs')).toBe(false);
    f.resyncs[0](false);
    await Promise.resolve();
    f.advance(100);
    leadership.tick(); // a failed sync is tried again
    expect(f.resyncs).toHaveLength(2);
    expect(leadership.isLeader('jobs')).toBe(false);
    // The sync brings b's claim of term 2 (b stood down since: the rule prefers a).
    f.set('b', leaderKey('jobs'), formatClaim({ leading: false, term: 2, beat: 0 }));
    f.resyncs[1](true);
    await Promise.resolve();
    expect(leadership.isLeader('jobs')).toBe(true);
    expect(leadership.token('jobs')).toBe(3);
  });

  it('refuses bad roles and options', () => {
    const f = fakeHost('a', ['a']);
    const leadership = new Leadership(f.host, f.clock, leadershipTiming(100));
    expect(() => leadership.campaign('')).toThrow(TypeError);
    expect(() => leadership.campaign('r', { expectedSize: 0 })).toThrow(RangeError);
    expect(() => leadership.campaign('r', { filter: { holding: '' } })).toThrow(TypeError);
  });
});
