import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import {
  DecodeError,
  Message,
  MessageType,
  QueryStatus,
  decodeMessage,
  decodePayload,
  encodeMessage,
  encodePayload,
} from '../../lib/engine/codec';

const LIMITS = {
  maxKeySize: 512,
  maxValueSize: 1024,
  maxArrayLength: 1000,
  maxMessageSize: 1 << 20,
};
const bytes = (n: number) => new Uint8Array(n).map((_, i) => i & 0xff);

describe('user traffic on the wire', () => {
  it.each<Message>([
    {
      type: MessageType.Deliver,
      clusterId: 'c',
      from: 'a',
      fromGeneration: 5,
      to: 'b',
      toGeneration: 7,
      items: [
        { seq: 1, topic: 'news', payload: encodePayload({ x: [1, 'two', null] }) },
        { seq: 4, topic: 'blob', payload: bytes(70_000) },
      ],
    },
    { type: MessageType.Delivered, clusterId: 'c', from: 'b', generation: 7, upTo: 4 },
    {
      type: MessageType.Query,
      clusterId: 'c',
      from: 'a',
      id: 3,
      name: 'load',
      payload: encodePayload('now'),
      timeout: 4999,
    },
    {
      type: MessageType.QueryReply,
      clusterId: 'c',
      from: 'b',
      status: QueryStatus.Error,
      value: new Uint8Array(0),
      error: 'boom',
    },
  ])('round-trips type %#', (message) => {
    const decoded = decodeMessage(encodeMessage(message), LIMITS);
    expect(decoded).toEqual(message);
  });

  it('refuses payload fields without a message size, and past it as a limit', () => {
    const deliver = (size: number) =>
      encodeMessage({
        type: MessageType.Deliver,
        clusterId: 'c',
        from: 'a',
        fromGeneration: 1,
        to: 'b',
        toGeneration: 1,
        items: [{ seq: 1, topic: 't', payload: bytes(size) }],
      });
    const { maxMessageSize: _, ...noBinary } = LIMITS;
    expect(() => decodeMessage(deliver(10), noBinary)).toThrow(DecodeError);
    expect(() => decodeMessage(deliver(2000), { ...LIMITS, maxMessageSize: 1000 })).toThrow(
      expect.objectContaining({ reason: 'limit' }),
    );
    // Membership messages still refuse binary fields, whatever the limits.
    const leave = Uint8Array.of(MessageType.Leave, 2, ...encode(['c', 'a', bytes(4), 1, 1]));
    expect(() => decodeMessage(leave, LIMITS)).toThrow(DecodeError);
  });

  it('refuses items out of seq order and empty topics', () => {
    const deliver = (items: Array<{ seq: number; topic: string }>) =>
      encodeMessage({
        type: MessageType.Deliver,
        clusterId: 'c',
        from: 'a',
        fromGeneration: 1,
        to: 'b',
        toGeneration: 1,
        items: items.map((i) => ({ ...i, payload: encodePayload(1) })),
      });
    expect(() =>
      decodeMessage(
        deliver([
          { seq: 2, topic: 't' },
          { seq: 2, topic: 't' },
        ]),
        LIMITS,
      ),
    ).toThrow(/increasing seq/);
    expect(() => decodeMessage(deliver([{ seq: 1, topic: '' }]), LIMITS)).toThrow(/topic or name/);
  });
});

describe('payloads', () => {
  it('carry any MessagePack value: maps, binary, dates, nesting', () => {
    const value = {
      a: { b: [1, 2.5, 'x', null, true] },
      bin: bytes(300),
      when: new Date(1_700_000_000_000),
    };
    expect(decodePayload(encodePayload(value))).toEqual(value);
  });

  it('refuses what would make the decoder allocate far more than the bytes hold', () => {
    // An array header announcing 2^32-1 items, then nothing.
    const bomb = Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff);
    expect(() => decodePayload(bomb)).toThrow(DecodeError);
    // Nested a thousand deep.
    expect(() => decodePayload(new Uint8Array(1000).fill(0x91))).toThrow(/too deep/);
    expect(() => decodePayload(Uint8Array.of(0xc1))).toThrow(DecodeError);
    expect(() => decodePayload(Uint8Array.of(1, 2))).toThrow(/after the message/);
  });
});

describe('garbage', () => {
  const only = (run: () => unknown) => {
    try {
      run();
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
    }
  };
  const valid = encodeMessage({
    type: MessageType.Deliver,
    clusterId: 'c',
    from: 'a',
    fromGeneration: 1,
    to: 'b',
    toGeneration: 2,
    items: [{ seq: 1, topic: 't', payload: encodePayload({ k: [1, 'v', bytes(40)] }) }],
  });

  it('never throws anything but DecodeError on random payloads', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => only(() => decodePayload(b))),
      {
        numRuns: 3000,
      },
    );
  });

  it('never throws anything but DecodeError on mutated Delivers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (edits) => {
          const bytes = Uint8Array.from(valid);
          for (const [at, value] of edits) bytes[at] = value;
          only(() => {
            const m = decodeMessage(bytes, LIMITS);
            if (m.type === MessageType.Deliver) for (const i of m.items) decodePayload(i.payload);
          });
        },
      ),
      { numRuns: 3000 },
    );
  });
});
