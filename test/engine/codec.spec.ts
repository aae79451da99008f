import fc from 'fast-check';
import {
  PROTOCOL_VERSION,
  DecodeError,
  DigestEntry,
  Message,
  MessageType,
  NodeDelta,
  decodeMessage,
  encodeMessage,
} from '../../lib/engine/codec';
import { ClusterState } from '../../lib/engine/state/cluster-state';
import { NodeRecord } from '../../lib/engine/state/node-record';

const LIMITS = { maxKeySize: 512, maxValueSize: 1 << 20, maxArrayLength: 100_000 };

const digestEntry: DigestEntry = {
  id: 'node-1',
  addr: '127.0.0.1:7946',
  generation: 1_764_000_000_000,
  heartbeat: 42,
  maxVersion: 7,
  left: false,
};
const nodeDelta: NodeDelta = {
  id: 'node-1',
  addr: '[::1]:7946',
  generation: 1_764_000_000_000,
  heartbeat: 43,
  left: true,
  reset: false,
  fromVersion: 2,
  gcVersion: 0,
  maxVersion: 4,
  entries: [
    { key: 'role', value: 'api', version: 3, deleted: false, internal: false },
    { key: 'old', value: '', version: 4, deleted: true, internal: true },
  ],
};

describe('codec', () => {
  const samples: Message[] = [
    {
      type: MessageType.Syn,
      clusterId: 'c',
      from: 'a',
      partial: true,
      digest: [digestEntry],
      summary: { hi: 0xffffffff, lo: 7 },
    },
    {
      type: MessageType.SynAck,
      clusterId: 'c',
      from: 'a',
      partial: false,
      digest: [digestEntry],
      delta: [nodeDelta],
      truncated: true,
      summary: { hi: 1, lo: 2 },
    },
    { type: MessageType.Ack, clusterId: 'c', from: 'a', delta: [nodeDelta], truncated: false },
    { type: MessageType.Ping, seq: 0xffff, target: 7, from: 9 },
    {
      type: MessageType.Ping,
      seq: 0,
      target: 0xffff,
      from: 0,
      summary: { hi: 0xffffffff, lo: 1 },
    },
    { type: MessageType.PingAck, seq: 513 },
    { type: MessageType.Beat, target: 0xffff, from: 0 },
    { type: MessageType.Beat, target: 3, from: 300, summary: { hi: 4, lo: 0xffffffff } },
    {
      type: MessageType.Sync,
      clusterId: 'c',
      from: 'a',
      digest: [digestEntry, { ...digestEntry, id: 'b' }],
    },
    { type: MessageType.SyncReply, clusterId: 'c', from: 'a', digest: [], delta: [nodeDelta] },
    { type: MessageType.Push, clusterId: 'c', from: 'a', delta: [] },
    {
      type: MessageType.Leave,
      clusterId: 'c',
      from: 'a',
      generation: 5,
      heartbeat: 6,
      maxVersion: 7,
    },
    { type: MessageType.StreamAck, clusterId: 'c', from: 'a' },
    { type: MessageType.StreamError, code: 'cluster', message: 'no' },
  ];

  it.each(samples.map((m) => [m.type, m] as const))(
    'round-trips message type %i',
    (_type, message) => {
      const bytes = encodeMessage(message);
      expect(bytes[0]).toBe(message.type);
      expect(bytes[1]).toBe(PROTOCOL_VERSION);
      expect(decodeMessage(bytes, LIMITS)).toEqual(message);
    },
  );

  it('rejects an unknown protocol version and message type', () => {
    const bytes = encodeMessage(samples[0]);
    expect(() => decodeMessage(Uint8Array.of(bytes[0], 99, ...bytes.subarray(2)), LIMITS)).toThrow(
      expect.objectContaining({ reason: 'version' }),
    );
    expect(() => decodeMessage(Uint8Array.of(200, PROTOCOL_VERSION, 0x90), LIMITS)).toThrow(
      expect.objectContaining({ reason: 'type' }),
    );
    expect(() => decodeMessage(Uint8Array.of(1), LIMITS)).toThrow(
      expect.objectContaining({ reason: 'empty' }),
    );
  });

  it('rejects entries out of version order and oversized values', () => {
    const unordered = { ...nodeDelta, entries: [...nodeDelta.entries].reverse() };
    expect(() =>
      decodeMessage(
        encodeMessage({ type: MessageType.Push, clusterId: 'c', from: 'a', delta: [unordered] }),
        LIMITS,
      ),
    ).toThrow(DecodeError);
    const big = {
      ...nodeDelta,
      entries: [{ key: 'k', value: 'x'.repeat(100), version: 3, deleted: false, internal: false }],
    };
    expect(() =>
      decodeMessage(
        encodeMessage({ type: MessageType.Push, clusterId: 'c', from: 'a', delta: [big] }),
        {
          ...LIMITS,
          maxValueSize: 10,
        },
      ),
    ).toThrow(expect.objectContaining({ reason: 'limit' }));
  });

  it('never throws anything but DecodeError on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeMessage(bytes, LIMITS);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws anything but DecodeError on mutated valid messages', () => {
    const valid = samples.map((m) => encodeMessage(m));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: valid.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (which, flips) => {
          const bytes = Uint8Array.from(valid[which]);
          for (const [at, value] of flips) bytes[2 + (at % Math.max(1, bytes.length - 2))] = value;
          try {
            decodeMessage(bytes, LIMITS);
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('packets built within a budget', () => {
  function stateWith(nodes: number, entriesPerNode: number, valueSize: number): ClusterState {
    const self = new NodeRecord('self', '127.0.0.1:1', 1);
    const state = new ClusterState(self);
    for (let n = 0; n < nodes; n++) {
      const r = new NodeRecord(
        `node-${n}-${'x'.repeat(n % 20)}`,
        `127.0.0.${n % 250}:7946`,
        1_764_000_000_000 + n,
        n * 1000,
      );
      for (let v = 1; v <= entriesPerNode; v++) {
        r.put({
          key: `key-${v}`,
          value: 'v'.repeat(valueSize),
          version: v,
          deleted: v % 7 === 0,
          internal: false,
          deletedAt: 0,
        });
      }
      state.put(r);
    }
    return state;
  }

  it('keeps every digest and delta it builds within maxPacketSize, whatever the state', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 512, max: 9000 }),
        (nodes, entries, valueSize, maxPacketSize) => {
          const state = stateWith(nodes, entries, valueSize);
          const budget = maxPacketSize - 64;
          const digest = state.buildDigest(budget, Math.random);
          const syn = encodeMessage({
            type: MessageType.Syn,
            clusterId: 'default',
            from: 'self',
            partial: digest.partial,
            digest: digest.entries,
          });
          expect(syn.length).toBeLessThanOrEqual(maxPacketSize);
          // A peer that knows nothing: everything is owed.
          const delta = state.buildDelta([], false, Math.floor(budget / 2), Math.random);
          const rest = state.buildDigest(budget - delta.size, Math.random);
          const synAck = encodeMessage({
            type: MessageType.SynAck,
            clusterId: 'default',
            from: 'self',
            partial: rest.partial,
            digest: rest.entries,
            delta: delta.nodes,
            truncated: delta.truncated,
          });
          expect(synAck.length).toBeLessThanOrEqual(maxPacketSize);
          if (nodes > 0 && entries > 0 && nodes * entries * (valueSize + 10) > maxPacketSize) {
            expect(delta.truncated).toBe(true);
          }
          const decoded = decodeMessage(synAck, LIMITS);
          if (decoded.type !== MessageType.SynAck) throw new Error('type');
          for (const d of decoded.delta) {
            // Every node delta is a prefix in version order covering up to its maxVersion.
            const versions = d.entries.map((e) => e.version);
            expect(versions).toEqual([...versions].sort((a, b) => a - b));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('sends a prefix of what the peer lacks, from the version it has', () => {
    const state = stateWith(1, 10, 10);
    const [record] = [...state.records.values()].filter((r) => r.id !== 'self');
    const peerDigest: DigestEntry[] = [
      {
        id: record.id,
        addr: record.addr,
        generation: record.generation,
        heartbeat: 0,
        maxVersion: 6,
        left: false,
      },
    ];
    const built = state.buildDelta(peerDigest, true, 10_000, Math.random);
    const bytes = encodeMessage({
      type: MessageType.Push,
      clusterId: 'c',
      from: 'x',
      delta: built.nodes,
    });
    const decoded = decodeMessage(bytes, LIMITS) as Extract<
      Message,
      { type: typeof MessageType.Push }
    >;
    expect(decoded.delta).toHaveLength(1);
    expect(decoded.delta[0].fromVersion).toBe(6);
    expect(decoded.delta[0].entries.map((e) => e.version)).toEqual([7, 8, 9, 10]);
    expect(decoded.delta[0].maxVersion).toBe(10);
    expect(built.truncated).toBe(false);
  });

  it('asks for a stream when the first entry owed cannot fit a packet', () => {
    const state = stateWith(1, 1, 5000);
    const built = state.buildDelta([], false, 1300, Math.random);
    expect(built.truncated).toBe(true);
    expect(built.entryCount).toBe(0);
  });
});
