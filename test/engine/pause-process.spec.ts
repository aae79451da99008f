import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from '../support/wait';

jest.setTimeout(90_000);

interface Status {
  live: string[];
  unreachable: string[];
}

/** One gossip node in its own process (the multi-host test's node script, on 127.0.0.1). */
class NodeProcess {
  status: Status | undefined;
  addr: string | undefined;
  /** When (parent's clock) each peer was first reported unreachable, per stretch. */
  readonly unreachableSince = new Map<string, number>();
  private readonly child: ChildProcess;

  constructor(
    readonly id: string,
    seed: string,
  ) {
    this.child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        join(__dirname, '..', 'security', 'netns-node.ts'),
        id,
        '127.0.0.1:0',
        seed,
        '100',
      ],
      { cwd: join(__dirname, '..', '..'), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as { ready?: string; status?: Status };
      if (message.ready) this.addr = message.ready;
      if (!message.status) return;
      this.status = message.status;
      for (const id of message.status.unreachable)
        if (!this.unreachableSince.has(id)) this.unreachableSince.set(id, Date.now());
      for (const id of message.status.live) this.unreachableSince.delete(id);
    });
  }

  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  stop(): void {
    this.child.stdin!.end();
    this.child.kill('SIGKILL');
  }
}

/**
 * A process stopped for 4 s (SIGSTOP: a suspended VM, a long GC), then
 * resumed, handles its queued datagrams and its overdue timers in whatever
 * order Node gives it. A peer that crashes 300 ms after the resume must be
 * noticed in about the usual detection time, not after as long again as
 * the pause (the lateness guard must never put evidence in the future).
 */
describe('a real process paused with SIGSTOP', () => {
  const nodes: NodeProcess[] = [];
  afterAll(() => nodes.forEach((n) => n.stop()));

  it('notices a crash right after it resumes', async () => {
    nodes.push(new NodeProcess('p0', '-'));
    await waitFor(() => nodes[0].addr !== undefined, 'the seed to start', 30_000);
    for (let i = 1; i < 5; i++) nodes.push(new NodeProcess(`p${i}`, nodes[0].addr!));
    const ids = nodes.map((n) => n.id);
    await waitFor(
      () => nodes.every((n) => ids.every((id) => n.status?.live.includes(id))),
      'all five to see each other',
      30_000,
    );
    await new Promise((r) => setTimeout(r, 3000)); // links learn they are clean

    const [paused, victim] = [nodes[2], nodes[4]];
    paused.signal('SIGSTOP');
    await new Promise((r) => setTimeout(r, 4000));
    paused.signal('SIGCONT');
    await new Promise((r) => setTimeout(r, 300));
    victim.signal('SIGKILL');
    const killedAt = Date.now();

    await waitFor(
      () => paused.unreachableSince.has(victim.id),
      'the resumed node to notice',
      10_000,
    );
    const took = paused.unreachableSince.get(victim.id)! - killedAt;
    console.log(`paused 4 s, resumed, peer killed 300 ms later: noticed after ${took} ms`);
    expect(took).toBeLessThan(2_000);
    // Its own pause made it accuse nobody who is alive.
    const survivors = ids.filter((id) => id !== victim.id && id !== paused.id);
    await new Promise((r) => setTimeout(r, 1000));
    for (const id of survivors) expect(paused.status?.live).toContain(id);
  });
});
