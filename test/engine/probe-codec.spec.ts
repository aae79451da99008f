import fc from 'fast-check';
import { Encoder, decode } from '@msgpack/msgpack';
import {
  type Beat,
  MessageType,
  PROTOCOL_VERSION,
  type Ping,
  type PingAck,
  decodeMessage,
  encodeMessage,
} from '../../lib/engine/codec';
import { decodeProbe } from '../../lib/engine/codec/probe-codec';

const LIMITS = { maxKeySize: 512, maxValueSize: 1 << 20, maxArrayLength: 100_000 };
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** What the general MessagePack encoder writes for a probe body. */
const general = (type: number, body: number[]) =>
  Uint8Array.from([type, PROTOCOL_VERSION, ...new Encoder().encode(body)]);

/** A probe's hand-written bytes are the general encoder's, and both decoders read it back. */
function expectGeneralBytes(message: Ping | PingAck | Beat, body: number[]): void {
  const bytes = encodeMessage(message);
  expect(bytes).toEqual(general(message.type, body));
  expect(decodeProbe(bytes)).toEqual(message);
  expect(decodeMessage(bytes, LIMITS)).toEqual(message);
}

const summaryArb = fc.option(fc.tuple(u32, u32));
/** The optional summary as a message field, and as the body's last two fields. */
const summaryOf = (s: [number, number] | null) => (s ? { summary: { hi: s[0], lo: s[1] } } : {});
const summaryFields = (s: [number, number] | null) => s ?? [];

describe('probes are written and read by hand, byte for byte as MessagePack', () => {
  it('a ping (with or without summary) and an ack encode as the general encoder would', () => {
    fc.assert(
      fc.property(u16, u16, u16, summaryArb, (seq, target, from, summary) => {
        const ping = { type: MessageType.Ping, seq, target, from, ...summaryOf(summary) };
        expectGeneralBytes(ping, [seq, target, from, ...summaryFields(summary)]);
        expectGeneralBytes({ type: MessageType.PingAck, seq }, [seq]);
      }),
    );
    // Two fields (a ping without its sender's tag) and four are no ping's shape: refused.
    for (const fields of [
      [1, 2],
      [1, 2, 3, 4],
    ]) {
      const odd = general(MessageType.Ping, fields);
      expect(decodeProbe(odd)).toBeUndefined();
      expect(() => decodeMessage(odd, LIMITS)).toThrow();
    }
  });

  it('a heartbeat (with or without summary) encodes as the general encoder would', () => {
    fc.assert(
      fc.property(u16, u16, summaryArb, (target, from, summary) => {
        const beat = { type: MessageType.Beat, target, from, ...summaryOf(summary) };
        expectGeneralBytes(beat, [target, from, ...summaryFields(summary)]);
      }),
    );
    // Three fields is no heartbeat's shape: refused by the general decoder.
    const odd = general(MessageType.Beat, [1, 2, 3]);
    expect(decodeProbe(odd)).toBeUndefined();
    expect(() => decodeMessage(odd, LIMITS)).toThrow();
  });

  it('anything off the common shape is left to the general decoder, which decides', () => {
    // A wider encoding than needed (u32 for a u16 field): valid MessagePack, read generally.
    const wide = Uint8Array.of(MessageType.PingAck, PROTOCOL_VERSION, 0x91, 0xce, 0, 0, 0, 7);
    expect(decodeProbe(wide)).toBeUndefined();
    expect(decodeMessage(wide, LIMITS)).toEqual({ type: MessageType.PingAck, seq: 7 });
    // Trailing bytes, a short body, a u16 field above range: refused by the general decoder.
    const trailing = Uint8Array.of(MessageType.PingAck, PROTOCOL_VERSION, 0x91, 1, 0);
    const short = Uint8Array.of(MessageType.Ping, PROTOCOL_VERSION, 0x93, 1, 2, 0xcd, 1);
    const big = Uint8Array.of(MessageType.PingAck, PROTOCOL_VERSION, 0x91, 0xce, 0, 1, 0, 0);
    for (const bytes of [trailing, short, big]) {
      expect(decodeProbe(bytes)).toBeUndefined();
      expect(() => decodeMessage(bytes, LIMITS)).toThrow();
    }
    expect(decode(general(MessageType.PingAck, [3]).subarray(2))).toEqual([3]);
  });
});
