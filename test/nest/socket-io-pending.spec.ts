import { PendingRequests, type RequestOutcome } from '../../lib/nest/socket-io/pending-requests';

/** A request waiting on nodes a (uid ua), b (ub) and c (uc), recording what it hears. */
function request(pending: PendingRequests<string>, id = 'r1', timeout = 1000) {
  const answers: string[] = [];
  const outcomes: RequestOutcome[] = [];
  const waiting = new Map([
    ['a', 'ua'],
    ['b', 'ub'],
    ['c', 'uc'],
  ]);
  pending.add(id, waiting, timeout, {
    answer: (answer, nodeId) => answers.push(`${nodeId}:${answer}`),
    done: (outcome) => outcomes.push(outcome),
  });
  return { answers, outcomes };
}

describe('PendingRequests (the Socket.IO adapter waiting for other servers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('ends when every server asked has answered, once, and ignores the others', () => {
    const pending = new PendingRequests<string>();
    const { answers, outcomes } = request(pending);
    pending.answer('r1', 'a', 'x');
    pending.answer('r1', 'a', 'again'); // a second answer from a
    pending.answer('r1', 'z', 'stranger'); // not asked
    pending.answer('r1', 'b', 'y');
    expect(outcomes).toEqual([]);
    pending.answer('r1', 'c', 'z');
    expect(answers).toEqual(['a:x', 'b:y', 'c:z']);
    expect(outcomes).toEqual([{ gone: [], silent: [], timedOut: false }]);
    expect(pending.size).toBe(0);
  });

  it('stops waiting for a server that is gone or restarted, not for one still serving', () => {
    const pending = new PendingRequests<string>();
    const { outcomes } = request(pending);
    pending.answer('r1', 'a', 'x');
    pending.recheck('b', (uid) => uid === 'ub'); // b still serves as ub: keep waiting
    expect(outcomes).toEqual([]);
    pending.recheck('b', () => false); // b left or is unreachable
    pending.recheck('c', (uid) => uid === 'uc-restarted'); // c came back as another server
    expect(outcomes).toEqual([{ gone: ['b', 'c'], silent: [], timedOut: false }]);
  });

  it('ends at its timeout naming the silent servers, never later', () => {
    const pending = new PendingRequests<string>();
    const { outcomes } = request(pending, 'r1', 500);
    pending.answer('r1', 'a', 'x');
    jest.advanceTimersByTime(499);
    expect(outcomes).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(outcomes).toEqual([{ gone: [], silent: ['b', 'c'], timedOut: true }]);
    pending.answer('r1', 'b', 'late');
    expect(outcomes).toHaveLength(1);
  });

  it('ends at once when nobody is asked, when sending failed, when a server could not answer, or when cleared', () => {
    const pending = new PendingRequests<string>();
    const empty: RequestOutcome[] = [];
    pending.add('none', new Map(), 1000, { answer: () => undefined, done: (o) => empty.push(o) });
    expect(empty).toEqual([{ gone: [], silent: [], timedOut: false }]);

    const failed = request(pending, 'r1');
    const error = new Error('too large');
    pending.fail('r1', error);
    expect(failed.outcomes).toEqual([
      { gone: [], silent: ['a', 'b', 'c'], timedOut: false, error },
    ]);

    // A server it waits for could not send its answer; a refusal from one it does not wait for is ignored.
    const refused = request(pending, 'r3');
    pending.answer('r3', 'a', 'x');
    const tooLarge = new Error('b could not answer: too large');
    pending.refused('r3', 'a', new Error('a again'));
    pending.refused('r3', 'z', new Error('stranger'));
    expect(refused.outcomes).toEqual([]);
    pending.refused('r3', 'b', tooLarge);
    expect(refused.outcomes).toEqual([
      { gone: [], silent: ['b', 'c'], timedOut: false, error: tooLarge },
    ]);

    const cleared = request(pending, 'r2');
    pending.clear();
    expect(cleared.outcomes).toEqual([{ gone: [], silent: ['a', 'b', 'c'], timedOut: true }]);
    expect(pending.size).toBe(0);
  });
});
