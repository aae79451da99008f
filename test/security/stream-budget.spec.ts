import { Socket, connect } from 'node:net';
import { Gossip, GossipConfigError } from '../../lib/engine';
import { StreamBudget, inboundStreamBudget } from '../../lib/engine/io/stream-budget';
import { MessageType, PROTOCOL_VERSION } from '../../lib/engine/codec';
import { parseHostPort } from '../../lib/engine/vocabulary/address';
import { LoopbackCluster } from '../support/cluster';
import { sleep, waitFor } from '../support/wait';
import { addrOf, collectGarbage, frame, rejections } from './support';

jest.setTimeout(30_000);

const MiB = 1024 * 1024;

describe('StreamBudget', () => {
  const noop = () => undefined;

  it('grants while there is room and gives bytes back once', () => {
    const budget = new StreamBudget(4 * MiB);
    const a = budget.reserve(3 * MiB, noop);
    if (typeof a === 'string') throw new Error(a);
    expect(budget.used).toBe(3 * MiB);
    a.release();
    a.release();
    expect(budget.used).toBe(0);
    expect(budget.peak).toBe(3 * MiB);
  });

  it('makes room by dropping the stream that has waited longest, never one being answered', () => {
    const budget = new StreamBudget(4 * MiB);
    const dropped: string[] = [];
    const answered = budget.reserve(2 * MiB, () => dropped.push('answered'));
    const old = budget.reserve(1 * MiB, () => dropped.push('old'));
    const young = budget.reserve(1 * MiB, () => dropped.push('young'));
    if (typeof answered === 'string' || typeof old === 'string' || typeof young === 'string')
      throw new Error('not granted');
    answered.settle();
    // 1 MiB more: only the oldest stream still reading has to go.
    expect(typeof budget.reserve(1 * MiB, noop)).toBe('object');
    expect(dropped).toEqual(['old']);
    expect(budget.used).toBe(4 * MiB);
    // 3 MiB cannot fit even if every reading stream went: nobody is dropped for nothing.
    expect(budget.reserve(3 * MiB, noop)).toBe('full');
    expect(dropped).toEqual(['old']);
    expect(budget.reserve(5 * MiB, noop)).toBe('too-large');
    expect(budget.peak).toBeLessThanOrEqual(budget.limit);
  });

  it('defaults to twice the largest stream size it serves, and validates a set limit', () => {
    const budget = new StreamBudget();
    expect(budget.limit).toBe(128 * MiB);
    budget.registerStreamSize(100 * MiB);
    expect(budget.limit).toBe(200 * MiB);
    budget.setLimit(10 * MiB);
    expect(budget.limit).toBe(10 * MiB);
    budget.setLimit(undefined);
    expect(budget.limit).toBe(200 * MiB);
    expect(() => budget.setLimit(1.5)).toThrow(GossipConfigError);
    expect(() => budget.setLimit(-1)).toThrow(/inboundStreamBudget must be an integer/);
  });
});

describe('the process-wide budget on real sockets', () => {
  const BUDGET = 8 * MiB;
  const MAX_STREAM = 2 * MiB;
  // A long streamTimeout: admitted streams wait for the rest of their frame on a loaded machine.
  const options = {
    maxStreamSize: MAX_STREAM,
    maxValueSize: 512 * 1024,
    maxInboundStreams: 64,
    streamTimeout: 20_000,
  };
  const nodes = new LoopbackCluster();

  beforeAll(() => inboundStreamBudget.setLimit(BUDGET));
  // Each test has the process (and so the budget) to itself.
  afterEach(() => nodes.closeAll());
  afterAll(() => inboundStreamBudget.setLimit(undefined));

  it('bounds a flood of large streams at two nodes together; rejections are counted; joins work after', async () => {
    const victims = [
      await nodes.startEngine('budget-a', options),
      await nodes.startEngine('budget-b', options),
    ];
    // Junk of just under maxStreamSize: each stream alone is allowed, together they are not.
    const junk = frame(Buffer.alloc(MAX_STREAM - 16, 0x42));
    junk[4] = MessageType.Push;
    junk[5] = PROTOCOL_VERSION;
    const announced = junk.length - 4;
    const fits = Math.floor(BUDGET / announced);
    collectGarbage();
    const base = process.memoryUsage().arrayBuffers;
    let peakBuffers = 0;
    const sampler = setInterval(() => {
      peakBuffers = Math.max(peakBuffers, process.memoryUsage().arrayBuffers - base);
    }, 5);
    inboundStreamBudget.resetPeak();
    const WAVES = 3;
    const WAVE = 48;
    const started = Date.now();
    try {
      for (let wave = 0; wave < WAVES; wave++) {
        // The start of every frame, header included, on 48 streams at once (24 a node)...
        const before = await refusedStreams(victims);
        let refused = 0;
        const flood = Array.from({ length: WAVE }, (_, i) =>
          startSent(addrOf(victims[i % 2]), junk),
        );
        await waitFor(
          async () => {
            refused = (await refusedStreams(victims)) - before;
            return refused + Math.round(inboundStreamBudget.used / announced) === WAVE;
          },
          'every stream of the wave to be admitted or refused',
          10_000,
          { detail: () => `${refused} refused, ${inboundStreamBudget.used} bytes reserved` },
        );
        // ...then the rest, on the streams the nodes kept.
        await Promise.all(flood.map((stream) => stream.finish()));
      }
    } finally {
      clearInterval(sampler);
    }
    const counts = await Promise.all(victims.map((v) => rejections(v, ['streams', 'decode'])));
    console.log(
      `budget flood: ${WAVES} x ${WAVE} streams of ${(junk.length / MiB).toFixed(1)} MiB at 2 ` +
        `nodes in ${Date.now() - started} ms; budget ${BUDGET / MiB} MiB, peak reserved ` +
        `${(inboundStreamBudget.peak / MiB).toFixed(1)} MiB, peak arrayBuffers ` +
        `+${(peakBuffers / MiB).toFixed(1)} MiB; rejected ${JSON.stringify(counts)}`,
    );

    // Never more than the budget reserved, and the flood filled it.
    expect(inboundStreamBudget.peak).toBeLessThanOrEqual(BUDGET);
    expect(inboundStreamBudget.peak).toBe(fits * announced);
    // Sanity bound on buffers: without the budget each wave would hold 96 MiB once its 48
    // streams are read. Here: the budget, the copy a completing message makes, the first
    // chunks of streams refused, and garbage of earlier waves not yet collected.
    expect(peakBuffers).toBeLessThan(48 * MiB);
    // Every stream past what fits was dropped and counted, on both nodes; the rest were read
    // whole and refused by the decoder (junk).
    expect(counts[0].streams + counts[1].streams).toBe(WAVES * (WAVE - fits));
    expect(counts[0].streams).toBeGreaterThan(0);
    expect(counts[1].streams).toBeGreaterThan(0);
    expect(counts[0].decode + counts[1].decode).toBe(WAVES * fits);

    // Once the flood is over every byte is given back and an ordinary join gets through.
    await waitFor(() => inboundStreamBudget.used === 0, 'the budget to be empty', 5000);
    const peer = await nodes.startEngine('budget-peer', options);
    await expect(peer.join(victims.map(addrOf))).resolves.toEqual(['budget-a', 'budget-b']);
  });

  it('a sender holding the whole budget with trickled streams cannot keep a join out', async () => {
    const victim = await nodes.startEngine('trickle-victim', options);
    const addr = parseHostPort(addrOf(victim));
    if (!addr) throw new Error('no address');
    // Each stream announces a full maxStreamSize and sends one byte of it: together they
    // reserve the whole budget and would hold it until streamTimeout.
    const header = Buffer.alloc(5);
    header.writeUInt32BE(MAX_STREAM, 0);
    const held: Socket[] = [];
    for (let i = 0; i < BUDGET / MAX_STREAM; i++) {
      const socket = connect({ host: addr.host, port: addr.port });
      socket.on('error', () => undefined);
      socket.write(header);
      held.push(socket);
    }
    try {
      await waitFor(() => inboundStreamBudget.used === BUDGET, 'the trickles to fill the budget');
      const before = await victim.metrics.rejectedCount('streams');
      const peer = await nodes.startEngine('trickle-peer', options);
      await expect(peer.join([addrOf(victim)])).resolves.toEqual(['trickle-victim']);
      // The join made room by dropping the longest-waiting trickle.
      expect(await victim.metrics.rejectedCount('streams')).toBeGreaterThan(before);
      await sleep(50);
      expect(held.some((s) => s.destroyed || s.readableEnded)).toBe(true);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});

async function refusedStreams(victims: Gossip[]): Promise<number> {
  const counts = await Promise.all(victims.map((v) => v.metrics.rejectedCount('streams')));
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Opens a stream and sends the first 64 KiB of `bytes` (a frame: its header
 * goes first); `finish` sends the rest if the node kept the stream, and
 * resolves once the node closed it.
 */
function startSent(to: string, bytes: Buffer): { finish(): Promise<void> } {
  const peer = parseHostPort(to);
  if (!peer) throw new Error(`bad address ${to}`);
  const socket = connect({ host: peer.host, port: peer.port });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  const head = 64 * 1024;
  socket.write(bytes.subarray(0, head));
  return {
    finish: () => {
      if (!socket.destroyed) socket.end(bytes.subarray(head));
      const timer = setTimeout(() => socket.destroy(), 10_000);
      return closed.finally(() => clearTimeout(timer));
    },
  };
}
