import { ClusterState } from '../../lib/engine/state/cluster-state';
import { NodeRecord } from '../../lib/engine/state/node-record';

function record(id: string, generation = 1, heartbeat = 0): NodeRecord {
  return new NodeRecord(id, '127.0.0.1:1', generation, heartbeat);
}

function write(r: NodeRecord, key: string, value: string): void {
  r.put({ key, value, version: r.maxVersion + 1, deleted: false, internal: false, deletedAt: 0 });
}

describe('ClusterState summary', () => {
  it('is equal for equal holdings and differs as soon as a version or left flag differs', () => {
    const a = new ClusterState(record('a'));
    const b = new ClusterState(record('b'));
    const [aOfB, bOfA] = [record('b'), record('a')];
    a.put(aOfB);
    b.put(bOfA);
    expect(a.summary()).toEqual(b.summary());

    write(a.self, 'k', 'v');
    expect(a.summary()).not.toEqual(b.summary());
    write(bOfA, 'k', 'v');
    expect(a.summary()).toEqual(b.summary());

    aOfB.left = true;
    expect(a.summary()).not.toEqual(b.summary());
    b.self.left = true;
    expect(a.summary()).toEqual(b.summary());
  });

  it('ignores heartbeats and follows records in and out', () => {
    const s = new ClusterState(record('a'));
    const empty = s.summary();
    const other = record('b');
    s.put(other);
    expect(s.summary()).not.toEqual(empty);
    other.heartbeat += 10;
    const withB = s.summary();
    s.remove(other); // expiry (ghost memory now lives in Liveness)
    expect(s.summary()).toEqual(empty);
    s.put(other);
    expect(s.summary()).toEqual(withB);
    // A replaced record (new generation) stops counting the old one.
    const reborn = record('b', 2);
    s.put(reborn);
    write(other, 'late', 'write'); // the old object no longer affects the summary
    const fresh = new ClusterState(record('a'));
    fresh.put(record('b', 2));
    expect(s.summary()).toEqual(fresh.summary());
  });
});
