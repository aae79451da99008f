import { randomBytes } from 'node:crypto';
import { MessageType, encodeMessage } from '../../lib/engine/codec';
import { LoopbackCluster, valueAt, waitAllSee, waitValue } from '../support/cluster';
import { waitFor } from '../support/wait';
import { addrOf, frame, rawStream, sendDatagrams } from './support';

jest.setTimeout(60_000);

describe('clusterId', () => {
  const nodes = new LoopbackCluster();
  afterEach(() => nodes.closeAll());

  it('join to a node of another cluster rejects with a clear error; both sides stay apart', async () => {
    const blue = await nodes.startEngine('blue-0', { clusterId: 'blue' });
    const red = await nodes.startEngine('red-0', { clusterId: 'red' });
    await expect(red.join([addrOf(blue)])).rejects.toThrow(
      /blue-0 is in cluster "blue", not "red"/,
    );
    expect(await blue.metrics.rejectedCount('cluster')).toBe(1);
    expect(blue.nodes().map((n) => n.id)).toEqual(['blue-0']);
    expect(red.nodes().map((n) => n.id)).toEqual(['red-0']);
  });

  it('the error is as clear between sealed nodes sharing a key', async () => {
    const key = randomBytes(32);
    const blue = await nodes.startEngine('sblue-0', { clusterId: 'blue', secretKeys: [key] });
    const red = await nodes.startEngine('sred-0', { clusterId: 'red', secretKeys: [key] });
    await expect(red.join([addrOf(blue)])).rejects.toThrow(/in cluster "blue", not "red"/);
    expect(await blue.metrics.rejectedCount('cluster')).toBe(1);
  });

  it('datagrams and streams of another cluster are refused and counted, and change nothing', async () => {
    const blue = await nodes.startEngine('blue-1', { clusterId: 'blue' });
    const foreignDelta = {
      id: 'intruder',
      addr: '127.0.0.1:9',
      generation: 1,
      heartbeat: 1,
      left: false,
      reset: false,
      fromVersion: 0,
      gcVersion: 0,
      maxVersion: 1,
      entries: [{ key: 'k', value: 'v', version: 1, deleted: false, internal: false }],
    };
    await sendDatagrams(addrOf(blue), [
      encodeMessage({
        type: MessageType.Syn,
        clusterId: 'red',
        from: 'intruder',
        partial: false,
        digest: [
          {
            id: 'intruder',
            addr: '127.0.0.1:9',
            generation: 1,
            heartbeat: 1,
            maxVersion: 1,
            left: false,
          },
        ],
      }),
      encodeMessage({
        type: MessageType.Ack,
        clusterId: 'red',
        from: 'intruder',
        truncated: false,
        delta: [foreignDelta],
      }),
    ]);
    await rawStream(
      addrOf(blue),
      frame(
        encodeMessage({
          type: MessageType.Push,
          clusterId: 'red',
          from: 'intruder',
          delta: [foreignDelta],
        }),
      ),
    );
    await waitFor(
      async () => (await blue.metrics.rejectedCount('cluster')) === 3,
      'three foreign messages counted',
    );
    expect(blue.node('intruder')).toBeUndefined();
  });
});

describe('limits', () => {
  const nodes = new LoopbackCluster();
  afterEach(() => nodes.closeAll());

  it('local writes over a limit throw a RangeError naming it', async () => {
    const g = await nodes.startEngine('limits-local', {
      maxKeySize: 8,
      maxValueSize: 16,
      maxEntriesPerNode: 3,
    });
    expect(() => g.upsertLocal('k'.repeat(9), 'v')).toThrow(RangeError);
    expect(() => g.upsertLocal('k'.repeat(9), 'v')).toThrow(/maxKeySize 8/);
    expect(() => g.upsertLocal('k', 'v'.repeat(17))).toThrow(/maxValueSize 16/);
    expect(() => g.deleteLocal('k'.repeat(9))).toThrow(/maxKeySize/);
    // UTF-8 bytes count, not characters.
    expect(() => g.upsertLocal('k', 'é'.repeat(9))).toThrow(RangeError);
    for (const k of ['a', 'b', 'c']) g.upsertLocal(k, 'v');
    expect(() => g.upsertLocal('d', 'v')).toThrow(/maxEntriesPerNode is 3/);
    g.upsertLocal('a', 'changed'); // an existing key is not a new entry
    expect(g.localNode().entries.map((e) => e.key)).toEqual(['b', 'c', 'a']);
  });

  it('remote values over the receiver limit are dropped and counted', async () => {
    const small = await nodes.startEngine('limits-small', { maxValueSize: 1000 });
    const big = await nodes.startEngine('limits-big', { maxValueSize: 4000 });
    await big.join([addrOf(small)]);
    await waitAllSee([small, big], ['limits-small', 'limits-big'], 'the two nodes');
    big.upsertLocal('fits', 'ok');
    await waitValue([small], 'limits-big', 'fits', 'ok');
    big.upsertLocal('huge', 'x'.repeat(2000)); // by datagram when it fits, else by stream
    await waitFor(
      async () => (await small.metrics.rejectedCount('limit')) > 0,
      'the oversized value counted as limit',
    );
    expect(valueAt(small, 'limits-big', 'huge')).toBeUndefined();
    expect(valueAt(small, 'limits-big', 'fits')).toBe('ok');
  });

  it('remote nodes and entries over the limits are dropped and counted', async () => {
    const small = await nodes.startEngine('cap-small', { maxNodes: 3, maxEntriesPerNode: 10 });
    const others = [];
    for (let i = 0; i < 4; i++) {
      const g = await nodes.startEngine(`cap-${i}`);
      await g.join([addrOf(small)]);
      others.push(g);
    }
    await waitFor(
      async () => (await small.metrics.rejectedCount('limit')) > 0,
      'nodes past maxNodes counted as limit',
    );
    expect(small.nodes().length).toBeLessThanOrEqual(3);

    // One node writes more entries than small keeps per node.
    const writer = small.nodes().find((n) => n.id !== 'cap-small');
    const owner = others.find((g) => g.nodeId === writer?.id);
    expect(owner).toBeDefined();
    for (let i = 0; i < 30; i++) owner?.upsertLocal(`k${i}`, 'v');
    const before = await small.metrics.rejectedCount('limit');
    await waitFor(
      async () => (await small.metrics.rejectedCount('limit')) > before,
      'entries past maxEntriesPerNode counted as limit',
    );
    for (const n of small.nodes())
      expect(small.node(n.id)?.entries.length ?? 0).toBeLessThanOrEqual(10);
  });
});
