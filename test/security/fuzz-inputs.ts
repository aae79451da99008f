import fc from 'fast-check';
import {
  DigestEntry,
  MessageType,
  NodeDelta,
  Outgoing,
  WireEntry,
  encodeMessage,
} from '../../lib/engine/codec';

/**
 * fast-check inputs shared by the fuzz specs and `npm run fuzz`: arbitrary
 * bytes, valid messages of every type, and valid messages with bytes
 * flipped, cut, inserted or spliced.
 */
export interface FuzzTarget {
  clusterId: string;
  /** Addresses made-up nodes may claim (messages name them; nodes may send there). */
  addrs: string[];
}

const counter = fc.oneof(
  fc.nat({ max: 20 }),
  fc.nat(),
  fc.constantFrom(0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
);

function digestEntry(target: FuzzTarget): fc.Arbitrary<DigestEntry> {
  return fc.record({
    id: nodeId(),
    addr: fc.constantFrom(...target.addrs),
    generation: counter,
    heartbeat: counter,
    maxVersion: counter,
    left: fc.boolean(),
  });
}

function nodeId(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('fz-a', 'fz-b', 'fz-c'),
    fc.string({ minLength: 1, maxLength: 12 }),
  );
}

const entry: fc.Arbitrary<WireEntry> = fc.record({
  key: fc.string({ minLength: 1, maxLength: 16 }),
  value: fc.oneof(fc.string({ maxLength: 32 }), fc.constant('x'.repeat(600))),
  version: fc.integer({ min: 1, max: 1000 }),
  deleted: fc.boolean(),
  internal: fc.boolean(),
});

function nodeDelta(target: FuzzTarget): fc.Arbitrary<NodeDelta> {
  return fc
    .record({
      id: nodeId(),
      addr: fc.constantFrom(...target.addrs),
      generation: fc.integer({ min: 1, max: 2 ** 40 }),
      heartbeat: counter,
      left: fc.boolean(),
      reset: fc.boolean(),
      entries: fc.array(entry, { maxLength: 6 }),
    })
    .map((d) => {
      // Versions in increasing order, as a valid delta has them.
      const versions = d.entries.map((e) => e.version).sort((a, b) => a - b);
      const entries = d.entries.map((e, i) => ({ ...e, version: versions[i] + i }));
      const maxVersion = entries.length > 0 ? entries[entries.length - 1].version : 0;
      return { ...d, entries, fromVersion: 0, gcVersion: 0, maxVersion };
    });
}

/** A valid message of any type, as a node of `target` would accept it (mostly). */
export function validMessage(target: FuzzTarget): fc.Arbitrary<Outgoing> {
  const clusterId = fc.oneof(
    { weight: 9, arbitrary: fc.constant(target.clusterId) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  const from = nodeId();
  const digest = fc.array(digestEntry(target), { maxLength: 5 });
  const delta = fc.array(nodeDelta(target), { maxLength: 3 });
  return fc.oneof(
    fc.record({
      type: fc.constant(MessageType.Syn),
      clusterId,
      from,
      partial: fc.boolean(),
      digest,
    }),
    fc.record({
      type: fc.constant(MessageType.SynAck),
      clusterId,
      from,
      partial: fc.boolean(),
      digest,
      delta,
      truncated: fc.boolean(),
    }),
    fc.record({
      type: fc.constant(MessageType.Ack),
      clusterId,
      from,
      delta,
      truncated: fc.boolean(),
    }),
    fc.record({ type: fc.constant(MessageType.Sync), clusterId, from, digest }),
    fc.record({ type: fc.constant(MessageType.SyncReply), clusterId, from, digest, delta }),
    fc.record({ type: fc.constant(MessageType.Push), clusterId, from, delta }),
    fc.record({
      type: fc.constant(MessageType.Leave),
      clusterId,
      from,
      generation: counter,
      heartbeat: counter,
      maxVersion: counter,
    }),
    fc.record({ type: fc.constant(MessageType.StreamAck), clusterId, from }),
    fc.record({
      type: fc.constant(MessageType.StreamError),
      code: fc.string({ maxLength: 8 }),
      message: fc.string({ maxLength: 40 }),
    }),
  ) as fc.Arbitrary<Outgoing>;
}

type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'splice'; at: number; length: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    // MessagePack type bytes that announce lengths are the interesting ones.
    byte: fc.oneof(fc.constantFrom(0xdc, 0xdd, 0xdb, 0xda, 0xc4, 0xde, 0xc7, 0xff, 0), fc.nat(255)),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    length: fc.nat(16),
    bytes: fc.uint8Array({ maxLength: 16 }),
  }),
);

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = Buffer.from(bytes);
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    switch (m.kind) {
      case 'flip':
        out[at] ^= m.xor;
        break;
      case 'set':
        out[at] = m.byte;
        break;
      case 'cut':
        out = out.subarray(0, at);
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
        break;
      case 'splice':
        out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at + m.length)]);
        break;
    }
  }
  return out;
}

/** Bytes of a valid message with 1 to 4 mutations (the header is left alone half the time). */
export function mutatedMessage(
  target: FuzzTarget,
  encode: (message: Outgoing) => Uint8Array = encodeMessage,
): fc.Arbitrary<{ original: Uint8Array; mutated: Uint8Array }> {
  return fc
    .tuple(validMessage(target), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([message, mutations, keepHeader]) => {
      const original = encode(message);
      const mutated = keepHeader
        ? Buffer.concat([original.subarray(0, 2), mutate(original.subarray(2), mutations)])
        : mutate(original, mutations);
      return { original, mutated };
    });
}

/** Anything: random bytes, often behind a plausible header. */
export function arbitraryBytes(maxLength = 1400): fc.Arbitrary<Uint8Array> {
  const header = fc.oneof(
    fc.constant(new Uint8Array(0)),
    fc
      .tuple(fc.constantFrom(...Object.values(MessageType)), fc.constantFrom(1, 1, 1, 0, 2))
      .map(([t, v]) => Uint8Array.of(t, v)),
  );
  return fc
    .tuple(header, fc.uint8Array({ maxLength }))
    .map(([h, body]) => Buffer.concat([h, body]));
}

/** Every kind of hostile input, for the live node and `npm run fuzz`. */
export function hostileInput(target: FuzzTarget): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    arbitraryBytes(),
    mutatedMessage(target).map((m) => m.mutated),
    validMessage(target).map((m) => encodeMessage(m)),
  );
}

/** Draws `count` values of `arb` (seeded, so a failure can be replayed). */
export function draw<T>(arb: fc.Arbitrary<T>, count: number, seed: number): T[] {
  return fc.sample(arb, { numRuns: count, seed });
}
