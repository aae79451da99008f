import { rendezvousOwner, rendezvousOwners } from '../../lib/engine';
import { ownerChanges, rendezvousScore } from '../../lib/engine/discovery/ownership';

const ids = (n: number, prefix = 'node-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const keys = (n: number) => Array.from({ length: n }, (_, i) => `tenant-${i}`);

describe('rendezvous ownership (pure)', () => {
  it('does not depend on the order or duplicates of the member list', () => {
    const members = ids(10);
    const shuffled = [...members].reverse().concat(members.slice(0, 3));
    for (const key of keys(200)) {
      expect(rendezvousOwner(key, shuffled)).toBe(rendezvousOwner(key, members));
      expect(rendezvousOwners(key, shuffled, 3)).toEqual(rendezvousOwners(key, members, 3));
    }
  });

  it('agrees between rendezvousOwner() and rendezvousOwners()[0], and rendezvousOwners() lists distinct members best first', () => {
    const members = ids(7);
    for (const key of keys(200)) {
      const top = rendezvousOwners(key, members, 7);
      expect(top[0]).toBe(rendezvousOwner(key, members));
      expect(new Set(top).size).toBe(7);
      const scores = top.map((id) => rendezvousScore(key, id));
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    }
  });

  it('returns nothing without members, and fewer than n when there are fewer members', () => {
    expect(rendezvousOwner('k', [])).toBeUndefined();
    expect(rendezvousOwners('k', [], 3)).toEqual([]);
    expect(rendezvousOwners('k', ['a', 'b'], 3)).toHaveLength(2);
  });

  it('rejects a bad replica count, naming it', () => {
    expect(() => rendezvousOwners('k', ['a'], 0)).toThrow(
      /n must be an integer of at least 1 \(got 0\)/,
    );
    expect(() => rendezvousOwners('k', ['a'], 1.5)).toThrow(/n must be an integer/);
  });

  it('gives fixed scores (the same on every platform and release)', () => {
    // Pinned: a change here would make mixed-version clusters disagree on owners.
    expect(rendezvousScore('tenant-1', 'node-1')).toBe(7904961571351947);
    expect(rendezvousScore('', '')).toBe(4410754198449802);
    expect(Number.isSafeInteger(rendezvousScore('k', 'é漢🙂'))).toBe(true);
    expect(rendezvousScore('ab', 'c')).not.toBe(rendezvousScore('a', 'bc'));
  });

  it('spreads keys evenly: each of 20 members owns within 25% of its share of 20 000 keys', () => {
    const members = ids(20);
    const counts = new Map<string, number>();
    for (const key of keys(20_000)) {
      const o = rendezvousOwner(key, members) as string;
      counts.set(o, (counts.get(o) ?? 0) + 1);
    }
    for (const id of members) {
      expect(counts.get(id)).toBeGreaterThan(750);
      expect(counts.get(id)).toBeLessThan(1250);
    }
  });

  it('moves only the keys of a member that leaves, and to a joiner only the keys it wins', () => {
    const members = ids(100);
    const all = keys(10_000);
    const leaving = 'node-42';
    const after = members.filter((id) => id !== leaving);
    const moved = ownerChanges(all, members, after);
    // Every moved key was the leaver's; every key the leaver held moved.
    expect(moved.every((c) => c.previous[0] === leaving)).toBe(true);
    expect(moved.length).toBe(all.filter((k) => rendezvousOwner(k, members) === leaving).length);
    const joined = ownerChanges(all, members, [...members, 'node-new']);
    expect(joined.every((c) => c.current[0] === 'node-new')).toBe(true);
    // About 1/N: 100 of 10 000 expected.
    expect(moved.length / all.length).toBeLessThan(0.02);
    expect(joined.length / all.length).toBeLessThan(0.02);
  });

  it('with n = 3 replicas, a leave changes only the replica sets that included the leaver', () => {
    const members = ids(30);
    const after = members.filter((id) => id !== 'node-7');
    const changes = ownerChanges(keys(3000), members, after, 3);
    expect(changes.every((c) => c.previous.includes('node-7'))).toBe(true);
    for (const c of changes) {
      // The survivors keep their order; one new member fills the last slot.
      expect(c.current.slice(0, 2)).toEqual(c.previous.filter((id) => id !== 'node-7').slice(0, 2));
    }
    expect(changes.length / 3000).toBeLessThan(0.15); // ~3/N = 10%
  });
});
