import { Decoder } from '@msgpack/msgpack';
import fc from 'fast-check';
import {
  DecodeError,
  DecodeLimits,
  MessageType,
  decodeMessage,
  encodeMessage,
  PROTOCOL_VERSION,
} from '../../lib/engine/codec';
import { Keyring } from '../../lib/engine/codec/keyring';
import { Wire } from '../../lib/engine/codec/wire';
import { arbitraryBytes, mutatedMessage, validMessage } from './fuzz-inputs';

const limits: DecodeLimits = { maxKeySize: 512, maxValueSize: 1024 * 1024, maxArrayLength: 10_016 };
const target = { clusterId: 'fuzz', addrs: ['127.0.0.1:7946', '[::1]:7946', 'localhost:1'] };
const key = Buffer.alloc(32, 7);

/** Decodes with `decode`; anything thrown must be a DecodeError. Returns the reason or 'ok'. */
function outcome(decode: () => unknown): string {
  try {
    decode();
    return 'ok';
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return err.reason;
  }
}

function tally(counts: Map<string, number>, reason: string): void {
  counts.set(reason, (counts.get(reason) ?? 0) + 1);
}

describe('decoder under fuzz', () => {
  const seen = new Map<string, number>();
  afterAll(() => {
    const total = [...seen.values()].reduce((a, b) => a + b, 0);
    console.log(
      `decoder fuzz: ${total} cases, outcomes ${JSON.stringify(Object.fromEntries(seen))}`,
    );
  });

  it('decodes every valid message it is built from (the seeds are sound)', () => {
    fc.assert(
      fc.property(validMessage(target), (message) => {
        const decoded = decodeMessage(encodeMessage(message), limits);
        expect(decoded.type).toBe(message.type);
        tally(seen, 'ok');
      }),
      { numRuns: 1000 },
    );
  });

  it('throws only DecodeError on arbitrary bytes (10,000 cases)', () => {
    fc.assert(
      fc.property(arbitraryBytes(), (bytes) => {
        tally(
          seen,
          outcome(() => decodeMessage(bytes, limits)),
        );
      }),
      { numRuns: 10_000 },
    );
  });

  it('throws only DecodeError on mutated valid messages (10,000 cases)', () => {
    fc.assert(
      fc.property(mutatedMessage(target), ({ mutated }) => {
        tally(
          seen,
          outcome(() => decodeMessage(mutated, limits)),
        );
      }),
      { numRuns: 10_000 },
    );
  });

  it('a sealed wire refuses arbitrary and mutated bytes with unsealed or auth, never throws else', () => {
    const wire = new Wire(new Keyring([key]), limits);
    const counts = new Map<string, number>();
    fc.assert(
      fc.property(
        fc.oneof(
          arbitraryBytes(),
          mutatedMessage(target).map((m) => m.mutated),
        ),
        (bytes) => {
          const reason = outcome(() => wire.decode(bytes));
          tally(counts, reason);
          tally(seen, reason);
          expect(reason).not.toBe('ok');
        },
      ),
      { numRuns: 2000 },
    );
    expect(counts.get('unsealed')).toBeGreaterThan(0);
  });

  it('a sealed wire refuses every mutated sealed message (2,000 cases)', () => {
    const wire = new Wire(new Keyring([key]), limits);
    const counts = new Map<string, number>();
    fc.assert(
      fc.property(
        mutatedMessage(target, (m) => wire.encode(m)),
        ({ original, mutated }) => {
          const reason = outcome(() => wire.decode(mutated));
          tally(counts, reason);
          tally(seen, reason);
          // Only a mutation that changed nothing (a splice of the same bytes) may pass.
          if (reason === 'ok') expect(Buffer.compare(original, mutated)).toBe(0);
        },
      ),
      { numRuns: 2000 },
    );
    expect(counts.get('auth')).toBeGreaterThan(1000);
  });

  it('refuses every single-byte change to a sealed message', () => {
    const sealer = new Wire(new Keyring([key]), limits);
    const sealed = sealer.encode({
      type: MessageType.Syn,
      clusterId: 'fuzz',
      from: 'a',
      partial: false,
      digest: [
        { id: 'a', addr: '127.0.0.1:1', generation: 5, heartbeat: 9, maxVersion: 3, left: false },
      ],
    });
    expect(sealer.decode(sealed).type).toBe(MessageType.Syn);
    const reasons = new Set<string>();
    for (let at = 0; at < sealed.length; at++) {
      for (const xor of [1, 0x80]) {
        const tampered = Buffer.from(sealed);
        tampered[at] ^= xor;
        const reason = outcome(() => sealer.decode(tampered));
        expect(reason).not.toBe('ok');
        reasons.add(reason);
      }
    }
    // Header bytes fail as version/type/unsealed; nonce, body and tag all fail authentication.
    expect(reasons).toContain('auth');
    expect([...reasons].every((r) => ['auth', 'version', 'type', 'unsealed'].includes(r))).toBe(
      true,
    );
  });

  it('does not let announced array lengths allocate beyond the input', () => {
    // Nested array16 headers each announcing 65535 items: once ~300 MB and 0.5 s per datagram.
    const nested = (count: number) => {
      const bytes = Buffer.alloc(2 + count * 3);
      bytes[0] = MessageType.Syn;
      bytes[1] = PROTOCOL_VERSION;
      for (let i = 0; i < count; i++) bytes.set([0xdc, 0xff, 0xff], 2 + i * 3);
      return bytes;
    };
    // A deep chain of one-item arrays, each cheap alone.
    const deep = Buffer.concat([
      Uint8Array.of(MessageType.Syn, PROTOCOL_VERSION),
      Buffer.alloc(100_000, 0x91),
    ]);
    // The MessagePack decoder allocates per announced item: these inputs must be
    // refused by the shape walk (cost bounded by the input's length) before it runs.
    const decoding = jest.spyOn(Decoder.prototype, 'decode');
    const heapBefore = process.memoryUsage().heapUsed;
    for (const bytes of [nested(466), nested(20_000), deep]) {
      expect(['decode', 'limit']).toContain(outcome(() => decodeMessage(bytes, limits)));
    }
    // Under the array limit, the length is still checked against the bytes left.
    const roomy = { ...limits, maxArrayLength: 100_000 };
    expect(outcome(() => decodeMessage(nested(466), roomy))).toBe('decode');
    expect(decoding).not.toHaveBeenCalled();
    decoding.mockRestore();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
  });

  it('counts oversized keys and values as limit, not decode', () => {
    const push = (key: string, value: string) =>
      encodeMessage({
        type: MessageType.Push,
        clusterId: 'fuzz',
        from: 'a',
        delta: [
          {
            id: 'a',
            addr: '127.0.0.1:1',
            generation: 1,
            heartbeat: 1,
            left: false,
            reset: false,
            fromVersion: 0,
            gcVersion: 0,
            maxVersion: 1,
            entries: [{ key, value, version: 1, deleted: false, internal: false }],
          },
        ],
      });
    const small = { ...limits, maxKeySize: 8, maxValueSize: 16 };
    expect(outcome(() => decodeMessage(push('k', 'v'), small))).toBe('ok');
    expect(outcome(() => decodeMessage(push('k'.repeat(9), 'v'), small))).toBe('limit');
    expect(outcome(() => decodeMessage(push('k', 'v'.repeat(17)), small))).toBe('limit');
  });
});
