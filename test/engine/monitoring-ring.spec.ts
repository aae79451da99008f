import { MonitoringRing, RingMember } from '../../lib/engine/liveness/monitoring-ring';
import { quorum, tally } from '../../lib/engine/liveness/reachability';

const members = (n: number, unreachable: string[] = []): RingMember[] =>
  Array.from({ length: n }, (_, i) => ({ id: `n${i}`, reachable: !unreachable.includes(`n${i}`) }));

describe('MonitoringRing', () => {
  it('each node watches k and is watched by k, and the two views agree', () => {
    const ring = new MonitoringRing(members(50), 3);
    for (const m of members(50)) {
      expect(ring.subjectsOf(m.id)).toHaveLength(3);
      expect(ring.observersOf(m.id)).toHaveLength(3);
      for (const s of ring.subjectsOf(m.id))
        expect(ring.observersOf(s).map((o) => o.id)).toContain(m.id);
    }
  });

  it('is the same ring whatever order the members are given in', () => {
    const a = new MonitoringRing(members(20), 3);
    const b = new MonitoringRing(members(20).reverse(), 3);
    for (const m of members(20)) expect(a.subjectsOf(m.id)).toEqual(b.subjectsOf(m.id));
  });

  it('members added one by one make the same ring as all at once', () => {
    const all = members(40, ['n3', 'n17']);
    const whole = new MonitoringRing(all, 3);
    const grown = new MonitoringRing(all.slice(0, 1), 3);
    for (const m of all.slice(1).reverse()) grown.add(m);
    grown.add({ id: 'n5', reachable: true }); // the same id again: replaced, not added twice
    for (const m of all) {
      expect(grown.subjectsOf(m.id)).toEqual(whole.subjectsOf(m.id));
      expect(grown.observersOf(m.id).map((o) => o.id)).toEqual(
        whole.observersOf(m.id).map((o) => o.id),
      );
    }
    expect(grown.subjectsOf('unknown')).toEqual([]);
  });

  it('an unreachable node stays watched, and its watchers reach past it for k reachable ones', () => {
    const all = new MonitoringRing(members(30), 3);
    const victim = all.subjectsOf('n0')[0];
    const ring = new MonitoringRing(members(30, [victim]), 3);
    const subjects = ring.subjectsOf('n0');
    expect(subjects).toContain(victim);
    expect(subjects).toHaveLength(4);
    expect(ring.observersOf(victim).filter((o) => o.reachable)).toHaveLength(3);
    for (const o of ring.observersOf(victim)) expect(ring.subjectsOf(o.id)).toContain(victim);
  });

  it('a two-node cluster watches each other', () => {
    const ring = new MonitoringRing(members(2), 3);
    expect(ring.subjectsOf('n0')).toEqual(['n1']);
    expect(ring.observersOf('n0').map((o) => o.id)).toEqual(['n1']);
  });
});

describe('tally', () => {
  const judge = (observers: RingMember[], accuses: (id: string) => boolean) =>
    tally(observers, accuses).verdict;
  const obs = (ids: string[], unreachable: string[] = []) =>
    ids.map((id) => ({ id, reachable: !unreachable.includes(id) }));

  it('needs all of up to two voters, then a majority', () => {
    expect([1, 2, 3, 4, 5].map(quorum)).toEqual([1, 2, 2, 3, 3]);
    const three = obs(['a', 'b', 'c']);
    expect(judge(three, (id) => id === 'a')).toBe('reachable');
    expect(judge(three, (id) => id !== 'c')).toBe('unreachable');
  });

  it('ignores unreachable observers, and has no verdict without voters', () => {
    expect(judge(obs(['a', 'b', 'c'], ['a', 'b']), (id) => id === 'a' || id === 'b')).toBe(
      'reachable',
    );
    expect(judge(obs(['a', 'b', 'c'], ['a', 'b']), (id) => id === 'c')).toBe('unreachable');
    expect(judge(obs(['a'], ['a']), () => true)).toBe('unknown');
  });
});
