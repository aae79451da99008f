import { Socket, connect } from 'node:net';
import { LoopbackCluster, waitAllSee } from '../support/cluster';
import { waitFor } from '../support/wait';
import { addrOf } from './support';

jest.setTimeout(60_000);

/**
 * Holds TCP connections open against one port: some send nothing, some a
 * byte a second of a frame that never completes. Every connection the node
 * closes is opened again shortly after, up to a bounded total.
 */
class Slowloris {
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  opened = 0;
  closedByNode = 0;

  constructor(
    private readonly port: number,
    private readonly maxOpens: number,
  ) {}

  start(idle: number, trickling: number): void {
    for (let i = 0; i < idle; i++) this.open(false);
    for (let i = 0; i < trickling; i++) this.open(true);
  }

  get open_(): number {
    return this.sockets.size;
  }

  private open(trickle: boolean): void {
    if (this.stopped || this.opened >= this.maxOpens) return;
    this.opened++;
    const socket = connect({ host: '127.0.0.1', port: this.port });
    this.sockets.add(socket);
    // A frame header announcing 1000 bytes, then junk, one byte a second.
    const drip = Buffer.concat([Uint8Array.of(0, 0, 3, 0xe8), Buffer.alloc(1000, 1)]);
    let at = 0;
    const ticker = trickle
      ? setInterval(() => {
          if (at < drip.length) socket.write(drip.subarray(at, ++at));
        }, 1000)
      : undefined;
    if (ticker) this.timers.add(ticker);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (ticker) {
        clearInterval(ticker);
        this.timers.delete(ticker);
      }
      if (this.stopped) return;
      this.closedByNode++;
      const again = setTimeout(() => {
        this.timers.delete(again);
        this.open(trickle);
      }, 200);
      this.timers.add(again);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
  }
}

describe('slowloris', () => {
  const nodes = new LoopbackCluster();
  let attack: Slowloris | undefined;

  afterEach(async () => {
    attack?.stop();
    await nodes.closeAll();
  });

  it('connections that send nothing or a byte a second do not keep healthy nodes from joining', async () => {
    // The attackers' streams never time out during the test: joins must get in while
    // every slot stays taken, not once a slot frees up (the default streamTimeout is 5 s).
    const victim = await nodes.startEngine('loris-victim', {
      maxInboundStreams: 64,
      streamTimeout: 120_000,
    });
    const port = Number(addrOf(victim).split(':')[1]);
    attack = new Slowloris(port, 4000);
    attack.start(100, 30);
    // Every slot is taken and the node has begun turning connections away.
    await waitFor(
      async () => (await victim.metrics.rejectedCount('streams')) > 30,
      'the attack to fill every inbound slot',
    );
    // Let it run long enough for the trickling connections to have sent a few bytes.
    const loris = attack;
    await waitFor(() => loris.opened >= 600, 'the attack to open 600 connections', 20_000);

    const streamsBefore = await victim.metrics.rejectedCount('streams');
    const joiners = [];
    const joinTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const joiner = await nodes.startEngine(`loris-healthy-${i}`);
      const started = Date.now();
      await expect(joiner.join([addrOf(victim)])).resolves.toEqual(['loris-victim']);
      joinTimes.push(Date.now() - started);
      joiners.push(joiner);
    }
    const all = [victim, ...joiners];
    const convergeStarted = Date.now();
    await waitAllSee(
      all,
      all.map((g) => g.nodeId),
      'the victim and the joiners to see each other during the attack',
    );
    const convergeMs = Date.now() - convergeStarted;
    joiners[2].upsertLocal('during', 'attack');
    await waitFor(
      () => all.every((g) => g.node('loris-healthy-2')?.entries.some((e) => e.key === 'during')),
      'an update to spread during the attack',
    );

    const streams = await victim.metrics.rejectedCount('streams');
    console.log(
      `slowloris: ${attack.opened} attacking connections opened (${attack.open_} open now, ` +
        `${attack.closedByNode} closed by the node), ${streams} counted as streams; ` +
        `joins took ${joinTimes.join(', ')} ms; converged ${convergeMs} ms after the last join`,
    );
    // The attack was still on while the joins went through.
    expect(streams).toBeGreaterThan(streamsBefore);
    expect(attack.open_).toBeGreaterThanOrEqual(32);
  });
});
