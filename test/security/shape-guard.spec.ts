import { DecodeError, MessageType, checkShape, encodeMessage } from '../../lib/engine/codec';

/** The MessagePack pre-scan that runs before the decoder allocates anything. */
const LIMITS = { maxKeySize: 64, maxValueSize: 2048, maxArrayLength: 100 };

function refusal(bytes: number[] | Uint8Array): { reason: string; message: string } | undefined {
  try {
    checkShape(Uint8Array.from(bytes), 0, LIMITS);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return { reason: (err as DecodeError).reason, message: (err as DecodeError).message };
  }
}

describe('MessagePack shape guard', () => {
  it('lets every well-formed message body through', () => {
    const bytes = encodeMessage({
      type: MessageType.SynAck,
      clusterId: 'c',
      from: 'a',
      partial: false,
      digest: [
        { id: 'b', addr: '10.0.0.2:7946', generation: 5, heartbeat: 9, maxVersion: 3, left: false },
      ],
      delta: [
        {
          id: 'b',
          addr: '10.0.0.2:7946',
          generation: 5,
          heartbeat: 9,
          left: false,
          reset: false,
          fromVersion: 0,
          gcVersion: 0,
          maxVersion: 1,
          entries: [{ key: 'k', value: 'v', version: 1, deleted: false, internal: false }],
        },
      ],
      truncated: false,
      summary: { hi: 1, lo: 2 },
    });
    expect(() => checkShape(bytes, 2, LIMITS)).not.toThrow();
  });

  it('refuses arrays nested deeper than any message', () => {
    expect(refusal([0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x90])?.message).toMatch(/nested too deep/);
  });

  it('refuses an array announcing more items than bytes remain (no allocation bomb)', () => {
    // array 32 of 65,535 items, then 3 bytes
    expect(refusal([0xdc, 0x00, 0x64, 0x01, 0x02, 0x03])?.message).toMatch(/bytes left/);
  });

  it('counts strings and arrays over the limits as limit, not decode', () => {
    expect(refusal([0xdc, 0x01, 0x00, ...new Array(256).fill(0)])?.reason).toBe('limit');
    const long = [0xda, 0x10, 0x00, ...new Array(4096).fill(0x61)];
    expect(refusal(long)?.reason).toBe('limit');
  });

  it('refuses types the protocol never sends, truncated values and trailing bytes', () => {
    expect(refusal([0x80])?.message).toMatch(/0x80 is not used/); // a map
    expect(refusal([0xc6, 0, 0, 0, 1, 0])?.message).toMatch(/not used/); // bin 32
    expect(refusal([0xd4, 1, 1])?.message).toMatch(/not used/); // an extension
    expect(refusal([0xa5, 0x61])?.message).toMatch(/past the end/);
    expect(refusal([0x91])?.message).toMatch(/bytes left|ends early/);
    expect(refusal([0x01, 0x02])?.message).toMatch(/1 bytes after the message/);
  });
});
