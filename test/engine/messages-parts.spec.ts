import { Inbox } from '../../lib/engine/messages/inbox';
import { Outbox, type QueuedMessage } from '../../lib/engine/messages/outbox';
import { PendingQuery } from '../../lib/engine/messages/pending-query';
import { Publication } from '../../lib/engine/messages/publication';
import type { PublishResult, QueryResult } from '../../lib/engine';

describe('the receiver duplicate filter (Inbox)', () => {
  it('hands on what is above the mark, per sender process', () => {
    const inbox = new Inbox(10);
    expect(inbox.mark('a', 5)).toBe(0);
    inbox.advance('a', 5, 3);
    expect(inbox.mark('a', 5)).toBe(3);
    inbox.advance('a', 5, 2); // a late, older request never moves it back
    expect(inbox.mark('a', 5)).toBe(3);
    // A restart of the sender starts over; its old process is stale from then on.
    expect(inbox.mark('a', 6)).toBe(0);
    inbox.advance('a', 6, 1);
    expect(inbox.mark('a', 5)).toBeUndefined();
    inbox.advance('a', 5, 9);
    expect(inbox.mark('a', 6)).toBe(1);
  });

  it('forgets the oldest sender past its capacity', () => {
    const inbox = new Inbox(2);
    inbox.advance('a', 1, 4);
    inbox.advance('b', 1, 4);
    inbox.advance('c', 1, 4);
    expect([inbox.mark('a', 1), inbox.mark('b', 1), inbox.mark('c', 1)]).toEqual([0, 4, 4]);
  });
});

describe('a target outbox', () => {
  const results: PublishResult[] = [];
  const message = (seq: number, cost: number): QueuedMessage => ({
    seq,
    topic: 't',
    payload: new Uint8Array(0),
    cost,
    publication: new Publication(seq, cost, 1, 0, (_p, r) => results.push(r)),
  });

  it('sends the oldest first, within the count and bytes, at least one', () => {
    const outbox = new Outbox({ id: 'b', addr: 'b:1', generation: 1, status: 'alive' });
    [message(1, 10), message(2, 10), message(4, 100), message(7, 10)].forEach((m) =>
      outbox.push(m),
    );
    expect(outbox.batch(10, 25).map((m) => m.seq)).toEqual([1, 2]);
    expect(outbox.batch(1, 25).map((m) => m.seq)).toEqual([1]);
    expect(outbox.ack(2).map((m) => m.seq)).toEqual([1, 2]);
    expect(outbox.batch(10, 25).map((m) => m.seq)).toEqual([4]); // over the bytes, alone
    expect(outbox.ack(5).map((m) => m.seq)).toEqual([4]);
    expect(outbox.clear().map((m) => m.seq)).toEqual([7]);
    expect(outbox.size).toBe(0);
  });

  it('a publication settles once every target is accounted for, names sorted', () => {
    results.length = 0;
    const p = new Publication(3, 10, 3, 0, (_p, r) => results.push(r));
    p.deliveredHere('a');
    p.settle('d', true);
    p.settle('c', false);
    expect(results).toEqual([]);
    p.settle('b', true);
    expect(results).toEqual([{ seq: 3, delivered: ['a', 'b', 'd'], missed: ['c'] }]);
  });
});

describe('a pending query', () => {
  it('completes once, when the last asked member answers or drops out', () => {
    const done: QueryResult[] = [];
    const answers: string[] = [];
    const q = new PendingQuery(
      [
        { id: 'a', generation: 1 },
        { id: 'b', generation: 1 },
        { id: 'c', generation: 1 },
      ],
      (a) => answers.push(a.node),
      (r) => done.push(r),
    );
    q.answer({ node: 'a', ok: true, value: 1 });
    q.answer({ node: 'a', ok: true, value: 2 }); // once per member
    q.answer({ node: 'x', ok: true, value: 3 }); // not asked
    q.lose('c');
    expect(done).toEqual([]);
    q.answer({ node: 'b', ok: false, reason: 'no-handler', error: 'none' });
    q.expire();
    expect(answers).toEqual(['a', 'b']);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ gone: ['c'], silent: [], timedOut: false });
  });

  it('at the timeout names the silent members', () => {
    const done: QueryResult[] = [];
    const q = new PendingQuery(
      [
        { id: 'a', generation: 1 },
        { id: 'b', generation: 1 },
      ],
      () => undefined,
      (r) => done.push(r),
    );
    q.answer({ node: 'b', ok: true, value: null });
    q.expire();
    expect(done).toEqual([
      { answers: [{ node: 'b', ok: true, value: null }], gone: [], silent: ['a'], timedOut: true },
    ]);
  });
});
