import type { NodeDelta, WireEntry } from '../../lib/engine/codec';
import { NodeRecord, applyNodeDelta } from '../../lib/engine/state/node-record';

const MAX = 1000;

function entry(key: string, value: string, version: number, deleted = false): WireEntry {
  return { key, value, version, deleted, internal: false };
}

function delta(overrides: Partial<NodeDelta>): NodeDelta {
  return {
    id: 'a',
    addr: '127.0.0.1:1',
    generation: 10,
    heartbeat: 1,
    left: false,
    reset: false,
    fromVersion: 0,
    gcVersion: 0,
    maxVersion: 0,
    entries: [],
    ...overrides,
  };
}

function owner(): NodeRecord {
  const r = new NodeRecord('a', '127.0.0.1:1', 10);
  return r;
}

describe('NodeRecord', () => {
  it('keeps entries in version order and skips superseded ones', () => {
    const r = owner();
    r.put({ ...entry('x', '1', 1), deletedAt: 0 });
    r.put({ ...entry('y', '1', 2), deletedAt: 0 });
    r.put({ ...entry('x', '2', 3), deletedAt: 0 });
    expect(r.snapshot().map((e) => [e.key, e.value, e.version])).toEqual([
      ['y', '1', 2],
      ['x', '2', 3],
    ]);
    const above: string[] = [];
    r.forEachAbove(2, (e) => (above.push(e.key), true));
    expect(above).toEqual(['x']);
    expect(r.maxVersion).toBe(3);
  });

  it('collects tombstones past the grace period and raises gcVersion', () => {
    const r = owner();
    r.put({ ...entry('x', '1', 1), deletedAt: 0 });
    r.put({ ...entry('x', '', 2, true), deletedAt: 100 });
    r.put({ ...entry('y', '', 3, true), deletedAt: 500 });
    expect(r.collectTombstones(200)).toBe(1);
    expect(r.gcVersion).toBe(2);
    expect(r.get('x')).toBeUndefined();
    expect(r.get('y')?.deleted).toBe(true);
    expect(r.maxVersion).toBe(3);
  });
});

describe('applyNodeDelta', () => {
  it('creates an unknown node from a prefix starting at version 0', () => {
    const res = applyNodeDelta(
      undefined,
      delta({ maxVersion: 2, entries: [entry('x', '1', 1), entry('y', '2', 2)] }),
      0,
      MAX,
    );
    expect(res.created).toBe(true);
    expect(res.record?.maxVersion).toBe(2);
    expect(res.changes).toEqual([
      { kind: 'upsert', key: 'x', value: '1' },
      { kind: 'upsert', key: 'y', value: '2' },
    ]);
  });

  it('applies entries in version order and is idempotent on re-apply', () => {
    const first = applyNodeDelta(
      undefined,
      delta({ maxVersion: 1, entries: [entry('x', '1', 1)] }),
      0,
      MAX,
    );
    const record = first.record!;
    const next = delta({
      fromVersion: 1,
      maxVersion: 3,
      entries: [entry('x', '2', 2), entry('y', '3', 3)],
    });
    const second = applyNodeDelta(record, next, 0, MAX);
    expect(second.changes).toHaveLength(2);
    const again = applyNodeDelta(record, next, 0, MAX);
    expect(again.changes).toEqual([]);
    expect(record.maxVersion).toBe(3);
    expect(record.snapshot().map((e) => e.value)).toEqual(['2', '3']);
  });

  it('ignores a stale delta whose entries it already holds', () => {
    const record = applyNodeDelta(
      undefined,
      delta({ maxVersion: 5, entries: [entry('x', 'new', 5)] }),
      0,
      MAX,
    ).record!;
    const stale = applyNodeDelta(
      record,
      delta({ fromVersion: 0, maxVersion: 3, entries: [entry('x', 'old', 3)] }),
      0,
      MAX,
    );
    expect(stale.changes).toEqual([]);
    expect(record.get('x')?.value).toBe('new');
    expect(record.maxVersion).toBe(5);
  });

  it('ignores a future delta that would leave a gap', () => {
    const record = applyNodeDelta(
      undefined,
      delta({ maxVersion: 1, entries: [entry('x', '1', 1)] }),
      0,
      MAX,
    ).record!;
    const future = applyNodeDelta(
      record,
      delta({ fromVersion: 4, maxVersion: 5, entries: [entry('z', '5', 5)] }),
      0,
      MAX,
    );
    expect(future.ignored).toBe('gap');
    expect(record.get('z')).toBeUndefined();
    expect(record.maxVersion).toBe(1);
  });

  it('replaces the state of an older generation, reporting it as replaced', () => {
    const old = applyNodeDelta(
      undefined,
      delta({ maxVersion: 1, entries: [entry('x', 'old', 1)] }),
      0,
      MAX,
    ).record!;
    const res = applyNodeDelta(
      old,
      delta({ generation: 20, maxVersion: 1, entries: [entry('y', 'new', 1)] }),
      0,
      MAX,
    );
    expect(res.created).toBe(true);
    expect(res.replacedGeneration).toBe(true);
    expect(res.record).not.toBe(old);
    expect(res.record?.get('x')).toBeUndefined();
    expect(res.record?.get('y')?.value).toBe('new');
  });

  it('ignores a lower generation', () => {
    const current = applyNodeDelta(
      undefined,
      delta({ generation: 20, maxVersion: 1, entries: [entry('x', '1', 1)] }),
      0,
      MAX,
    ).record!;
    const res = applyNodeDelta(
      current,
      delta({ generation: 10, maxVersion: 9, entries: [entry('x', 'ghost', 9)] }),
      0,
      MAX,
    );
    expect(res.ignored).toBe('stale-generation');
    expect(current.get('x')?.value).toBe('1');
  });

  it('turns a delete into a tombstone and reports it', () => {
    const record = applyNodeDelta(
      undefined,
      delta({ maxVersion: 1, entries: [entry('x', '1', 1)] }),
      0,
      MAX,
    ).record!;
    const res = applyNodeDelta(
      record,
      delta({ fromVersion: 1, maxVersion: 2, entries: [entry('x', '', 2, true)] }),
      7,
      MAX,
    );
    expect(res.changes).toEqual([{ kind: 'delete', key: 'x' }]);
    expect(record.get('x')).toMatchObject({ deleted: true, deletedAt: 7 });
  });

  it('resets a node that fell behind tombstone collection, dropping keys deleted meanwhile', () => {
    const record = applyNodeDelta(
      undefined,
      delta({ maxVersion: 2, entries: [entry('x', '1', 1), entry('y', '1', 2)] }),
      0,
      MAX,
    ).record!;
    // The owner deleted x at 3 (collected, gcVersion 3) and wrote z at 4.
    const reset = delta({
      reset: true,
      gcVersion: 3,
      maxVersion: 4,
      entries: [entry('y', '1', 2), entry('z', '4', 4)],
    });
    const res = applyNodeDelta(record, reset, 0, MAX);
    expect(res.created).toBe(false);
    expect(res.record?.gcVersion).toBe(3);
    expect(res.changes).toEqual([
      { kind: 'upsert', key: 'z', value: '4' },
      { kind: 'delete', key: 'x' },
    ]);
    expect(res.record?.get('x')).toBeUndefined();
  });

  it('refuses a non-reset delta for an unknown node that does not start at 0', () => {
    const res = applyNodeDelta(
      undefined,
      delta({ fromVersion: 3, maxVersion: 4, entries: [entry('x', '1', 4)] }),
      0,
      MAX,
    );
    expect(res.ignored).toBe('not-reset');
    expect(res.record).toBeUndefined();
  });

  it('refuses a delta that would exceed the entries limit', () => {
    const res = applyNodeDelta(
      undefined,
      delta({ maxVersion: 3, entries: [entry('a', '', 1), entry('b', '', 2), entry('c', '', 3)] }),
      0,
      2,
    );
    expect(res.ignored).toBe('limit');
  });

  it('marks left once and keeps the highest heartbeat', () => {
    const record = applyNodeDelta(undefined, delta({ heartbeat: 5 }), 0, MAX).record!;
    const res = applyNodeDelta(record, delta({ heartbeat: 3, left: true }), 0, MAX);
    expect(res.becameLeft).toBe(true);
    expect(record.heartbeat).toBe(5);
    expect(applyNodeDelta(record, delta({ heartbeat: 6, left: true }), 0, MAX).becameLeft).toBe(
      false,
    );
  });
});
