import { Gossip } from '../../lib/engine';
import { MessageType, PROTOCOL_VERSION, encodeMessage } from '../../lib/engine/codec';
import { Keyring } from '../../lib/engine/codec/keyring';
import { Wire } from '../../lib/engine/codec/wire';
import { draw, hostileInput } from './fuzz-inputs';
import { LoopbackCluster, valueAt, waitAllSee, waitValue } from '../support/cluster';
import { waitFor } from '../support/wait';
import {
  ALL_REASONS,
  addrOf,
  collectGarbage,
  frame,
  pool,
  rawStream,
  rejections,
  sendDatagrams,
} from './support';

jest.setTimeout(60_000);

const UDP_CASES = 6000;
const TCP_CASES = 1500;
const LIMITS = { maxNodes: 32, maxEntriesPerNode: 64, maxKeySize: 64, maxValueSize: 2048 };

describe('a live node under hostile input', () => {
  const nodes = new LoopbackCluster();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await nodes.closeAll();
  });

  it('survives fuzzed datagrams and streams, stays bounded, and still converges', async () => {
    const options = { clusterId: 'fuzz-live', ...LIMITS };
    const victim = await nodes.startEngine('victim', options, { guarded: true });
    const healthy = [
      await nodes.startEngine('healthy-1', options, { guarded: true }),
      await nodes.startEngine('healthy-2', options, { guarded: true }),
    ];
    for (const h of healthy) await h.join([addrOf(victim)]);
    const all = [victim, ...healthy];
    const ids = all.map((g) => g.nodeId);
    await waitAllSee(all, ids, 'the three nodes to see each other');
    healthy[0].upsertLocal('before', 'fuzz');
    await waitValue(all, 'healthy-1', 'before', 'fuzz');

    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    let peakHeap = heapBefore;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }, 20);

    const target = { clusterId: 'fuzz-live', addrs: [...all.map(addrOf), '127.0.0.1:9'] };
    const started = Date.now();
    try {
      const sent = await sendDatagrams(addrOf(victim), draw(hostileInput(target), UDP_CASES, 1));
      expect(sent).toBe(UDP_CASES);
      const streams = draw(hostileInput(target), TCP_CASES, 2);
      // Mostly framed (they reach the decoder), some raw (they exercise the framing).
      await pool(
        streams.map((bytes, i) => (i % 10 === 0 ? bytes : frame(bytes))),
        16,
        (bytes) => rawStream(addrOf(victim), bytes, 1000),
      );
    } finally {
      clearInterval(sampler);
    }
    const floodMs = Date.now() - started;

    // Nothing escaped as an unhandled rejection, every node is still up.
    expect(unhandled).toEqual([]);
    const counts = await rejections(victim, ALL_REASONS);
    const rejected = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(rejected).toBeGreaterThan((UDP_CASES + TCP_CASES) / 2);
    for (const reason of ['empty', 'version', 'type', 'decode', 'cluster']) {
      expect(counts[reason]).toBeGreaterThan(0);
    }

    // State within the limits, whatever the fuzz made up.
    for (const g of all) {
      expect(g.nodes().length).toBeLessThanOrEqual(LIMITS.maxNodes);
      for (const n of g.nodes())
        expect(g.node(n.id)?.entries.length ?? 0).toBeLessThanOrEqual(LIMITS.maxEntriesPerNode);
    }
    collectGarbage();
    const heapAfter = process.memoryUsage().heapUsed;
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(
      `live fuzz: ${UDP_CASES} datagrams + ${TCP_CASES} streams in ${floodMs} ms; ` +
        `rejected ${JSON.stringify(counts)}; heap ${mb(heapBefore)} -> peak ${mb(peakHeap)} -> ` +
        `${mb(heapAfter)} MiB after gc; peak rss ${mb(peakRss)} MiB; victim knows ${victim.nodes().length} nodes`,
    );
    expect(heapAfter - heapBefore).toBeLessThan(32 * 1024 * 1024);

    // The healthy nodes still converge with the victim.
    await waitAllSee(all, ids, 'the three nodes to see each other after the flood');
    victim.upsertLocal('after', 'v');
    healthy[1].upsertLocal('after', 'h2');
    await waitValue(all, 'victim', 'after', 'v');
    await waitValue(all, 'healthy-2', 'after', 'h2');
    expect(valueAt(victim, 'healthy-1', 'before')).toBe('fuzz');
  });
});

describe('each kind of refusal is counted under its reason', () => {
  const nodes = new LoopbackCluster();
  let victim: Gossip;
  let victimAddr: string;
  const message = (over: Record<string, unknown> = {}) =>
    encodeMessage({
      type: MessageType.Syn,
      clusterId: 'reasons',
      from: 'someone',
      partial: false,
      digest: [],
      ...over,
    } as Parameters<typeof encodeMessage>[0]);

  beforeAll(async () => {
    victim = await nodes.startEngine('reasons-victim', {
      clusterId: 'reasons',
      maxValueSize: 100,
      streamTimeout: 300,
    });
    victimAddr = addrOf(victim);
  });
  afterAll(() => nodes.closeAll());

  async function expectCounted(reason: string, send: () => Promise<unknown>): Promise<void> {
    const before = await victim.metrics.rejectedCount(reason);
    await send();
    await waitFor(
      async () => (await victim.metrics.rejectedCount(reason)) > before,
      `a rejection counted as ${reason}`,
      5000,
    );
  }

  const udp = (bytes: Uint8Array) => () => sendDatagrams(victimAddr, [bytes]);
  const tcp = (bytes: Uint8Array) => () => rawStream(victimAddr, frame(bytes));

  it('empty, version, type, decode', async () => {
    await expectCounted('empty', udp(Uint8Array.of(1)));
    await expectCounted('version', udp(Uint8Array.of(MessageType.Syn, 9, 0x90)));
    await expectCounted('type', udp(Uint8Array.of(99, PROTOCOL_VERSION, 0x90)));
    await expectCounted('decode', udp(Uint8Array.of(MessageType.Syn, PROTOCOL_VERSION, 0xc1)));
    // A stream message in a datagram, a datagram message on a stream.
    await expectCounted(
      'type',
      udp(encodeMessage({ type: MessageType.StreamError, code: 'x', message: 'y' })),
    );
    await expectCounted('type', tcp(message()));
    await expectCounted(
      'decode',
      tcp(Uint8Array.of(MessageType.Sync, PROTOCOL_VERSION, 0x93, 0xc0)),
    );
    // An address the node could not send to (port 0 made dgram.send throw in every round).
    const digest = (addr: string) => [
      { id: 'portless', addr, generation: 1, heartbeat: 1, maxVersion: 0, left: false },
    ];
    for (const addr of ['127.0.0.1:0', 'no-port', '1.2.3.4:99999'])
      await expectCounted('decode', udp(message({ digest: digest(addr) })));
  });

  it('cluster and self', async () => {
    await expectCounted('cluster', udp(message({ clusterId: 'other' })));
    await expectCounted('self', udp(message({ from: 'reasons-victim' })));
    await expectCounted(
      'self',
      tcp(
        encodeMessage({
          type: MessageType.Leave,
          clusterId: 'reasons',
          from: 'reasons-victim',
          generation: 1,
          heartbeat: 1,
          maxVersion: 0,
        }),
      ),
    );
    expect(victim.localNode().left).toBe(false);
  });

  it('limit, oversize, sealed, timeout', async () => {
    const tooBig = encodeMessage({
      type: MessageType.Ack,
      clusterId: 'reasons',
      from: 'someone',
      truncated: false,
      delta: [
        {
          id: 'someone',
          addr: '127.0.0.1:9',
          generation: 1,
          heartbeat: 1,
          left: false,
          reset: false,
          fromVersion: 0,
          gcVersion: 0,
          maxVersion: 1,
          entries: [
            { key: 'k', value: 'v'.repeat(101), version: 1, deleted: false, internal: false },
          ],
        },
      ],
    });
    await expectCounted('limit', udp(tooBig));
    expect(victim.node('someone')).toBeUndefined();
    await expectCounted('oversize', udp(Buffer.alloc(1401, 1)));
    // A stream announcing more than maxStreamSize is cut before anything is buffered.
    const announce = Buffer.alloc(8);
    announce.writeUInt32BE(2 ** 31, 0);
    await expectCounted('oversize', () => rawStream(victimAddr, announce));
    const sealed = new Wire(new Keyring([Buffer.alloc(32, 1)]), {
      maxKeySize: 512,
      maxValueSize: 100,
      maxArrayLength: 100,
    });
    await expectCounted(
      'sealed',
      udp(
        sealed.encode({
          type: MessageType.Syn,
          clusterId: 'reasons',
          from: 'x',
          partial: false,
          digest: [],
        }),
      ),
    );
    // A stream that never sends its request is closed after streamTimeout.
    await expectCounted('timeout', () => rawStream(victimAddr, new Uint8Array(0), 1000, false));
  });
});

describe('a flood of large streams', () => {
  const nodes = new LoopbackCluster();
  afterAll(() => nodes.closeAll());

  it('buffers at most maxInboundStreams x maxStreamSize, and the node still answers', async () => {
    const maxStreamSize = 1024 * 1024;
    const maxInboundStreams = 16;
    const victim = await nodes.startEngine('flood-victim', {
      maxStreamSize,
      maxInboundStreams,
      maxValueSize: 512 * 1024,
    });
    // Each stream: a frame announcing just under the limit, filled with junk.
    const junk = frame(Buffer.alloc(maxStreamSize - 16, 0x42));
    junk[4] = MessageType.Push;
    junk[5] = PROTOCOL_VERSION;
    collectGarbage();
    const base = process.memoryUsage();
    let peakExternal = 0;
    let peakRss = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakExternal = Math.max(peakExternal, m.arrayBuffers - base.arrayBuffers);
      peakRss = Math.max(peakRss, m.rss);
    }, 5);
    const STREAMS = 300;
    try {
      await pool(Array.from({ length: STREAMS }), 64, () => rawStream(addrOf(victim), junk, 3000));
    } finally {
      clearInterval(sampler);
    }
    const counts = await rejections(victim, ALL_REASONS);
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(
      `stream flood: ${STREAMS} x ${mb(junk.length)} MiB sent; peak buffers +${mb(peakExternal)} MiB, ` +
        `peak rss ${mb(peakRss)} MiB; rejected ${JSON.stringify(counts)}`,
    );
    // Live: at most maxInboundStreams requests of maxStreamSize, each held as chunks and then
    // concatenated once (32 MiB here); the peak also counts chunks not yet collected. It must
    // stay well below what the flood sent (300 MiB).
    expect(peakExternal).toBeLessThan(150 * 1024 * 1024);
    expect(counts.decode + counts.streams).toBeGreaterThan(0);
    const peer = await nodes.startEngine('flood-peer');
    await expect(peer.join([addrOf(victim)])).resolves.toEqual(['flood-victim']);
  });
});
