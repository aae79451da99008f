import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

const EXPECTED_SIZE = 5;

interface Run {
  node: string;
  token: number;
  at: number;
}

/** Every run of every process, in the order the parent read them. */
const runs: Run[] = [];

/** One Nest app in its own process (test/nest/support/leader-node.ts). */
class AppProcess {
  addr: string | undefined;
  exited = false;
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
        join(__dirname, 'support', 'leader-node.ts'),
        id,
        seed,
        String(EXPECTED_SIZE),
      ],
      { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.child.on('exit', () => (this.exited = true));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as { ready?: string; run?: Run };
      if (message.ready) this.addr = message.ready;
      if (message.run) runs.push(message.run);
    });
  }

  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }
}

/** The node of the newest run. */
function runner(): string {
  return runs[runs.length - 1].node;
}

/** Resolves once `count` runs after index `from` all came from one node, other than `not`. */
async function nextRunner(from: number, not: string, count = 5): Promise<string> {
  let node = '';
  await waitFor(
    () => {
      const after = runs.slice(from).filter((r) => r.node !== not);
      node = after[0]?.node ?? '';
      return after.length >= count;
    },
    `${count} runs on a node other than ${not}`,
    60_000,
  );
  return node;
}

/**
 * Issue 18, section 5: five Nest apps, each with a one-instance
 * `@Interval(200)` job that reports its runs (node, fencing token, time),
 * through a kill -9 of the leader, a SIGTERM of the next one, and a 5 s
 * SIGSTOP of the third. Each lost process is replaced, as an orchestrator
 * would, so five run throughout and the quorum guard (expectedSize 5) holds.
 */
describe('one-instance job on five real processes', () => {
  const apps: AppProcess[] = [];
  afterAll(() => {
    for (const a of apps) if (!a.exited) a.signal('SIGKILL');
  });

  async function startApp(id: string): Promise<void> {
    const seed = apps.find((a) => !a.exited && a.addr)?.addr ?? '-';
    const app = new AppProcess(id, seed);
    apps.push(app);
    await waitFor(() => app.addr !== undefined, `${id} to start`, 60_000);
  }

  it('runs on one node at a time, with growing tokens, through a crash, a SIGTERM and a pause', async () => {
    for (let i = 0; i < 5; i++) await startApp(`p${i}`);
    await waitFor(() => runs.length >= 10, 'ten runs', 60_000);

    // kill -9 the leader; a replacement process starts.
    const first = runner();
    const killedAt = Date.now();
    const killIndex = runs.length;
    apps.find((a) => a.id === first)!.signal('SIGKILL');
    await startApp('p5');
    const second = await nextRunner(killIndex, first);
    const afterKill = runs.slice(killIndex).find((r) => r.node === second)!.at - killedAt;

    // SIGTERM the next leader: it leaves, then exits; a replacement starts.
    const termIndex = runs.length;
    const termAt = Date.now();
    const secondApp = apps.find((a) => a.id === second)!;
    secondApp.signal('SIGTERM');
    await waitFor(() => secondApp.exited, `${second} to exit`, 30_000);
    const third = await nextRunner(termIndex, second);
    const afterTerm = runs.slice(termIndex).find((r) => r.node === third)!.at - termAt;
    await startApp('p6');

    // SIGSTOP the current leader for 5 s, then SIGCONT.
    await waitFor(() => runs.length >= termIndex + 15, 'runs before the pause', 60_000);
    const paused = runner();
    const pauseIndex = runs.length;
    const pausedApp = apps.find((a) => a.id === paused)!;
    pausedApp.signal('SIGSTOP');
    const stoppedAt = Date.now();
    const fourth = await nextRunner(pauseIndex, paused);
    const afterStop = runs.slice(pauseIndex).find((r) => r.node === fourth)!.at - stoppedAt;
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + 5_000 - Date.now())));
    pausedApp.signal('SIGCONT');
    const resumedAt = Date.now();
    await waitFor(
      () => runs.some((r) => r.at > resumedAt + 3_000),
      'runs after the resume',
      60_000,
    );

    // No overlap: in time order, tokens never go down, and each token is one node's.
    const ordered = [...runs].sort((a, b) => a.at - b.at);
    const owners = new Map<number, string>();
    for (let i = 0; i < ordered.length; i++) {
      const run = ordered[i];
      expect(typeof run.token).toBe('number');
      if (i > 0) expect(run.token).toBeGreaterThanOrEqual(ordered[i - 1].token);
      expect(owners.get(run.token) ?? run.node).toBe(run.node);
      owners.set(run.token, run.node);
    }
    // The crashed and the terminated leader never ran again; the paused one not with its old token.
    expect(runs.slice(killIndex).filter((r) => r.node === first && r.at > killedAt)).toEqual([]);
    expect(runs.filter((r) => r.node === second && r.at > termAt + 1_000)).toEqual([]);
    const pausedToken = Math.max(
      ...runs
        .slice(0, pauseIndex)
        .filter((r) => r.node === paused)
        .map((r) => r.token),
    );
    expect(
      runs.filter((r) => r.node === paused && r.at > stoppedAt && r.token <= pausedToken),
    ).toEqual([]);

    let longest = 0;
    for (let i = 1; i < ordered.length; i++)
      longest = Math.max(longest, ordered[i].at - ordered[i - 1].at);
    console.log(
      `5 Nest processes, @Interval(200), expectedSize 5: first run of the next leader ` +
        `${afterKill} ms after kill -9, ${afterTerm} ms after SIGTERM, ${afterStop} ms after SIGSTOP; ` +
        `${ordered.length} runs, ${owners.size} terms, longest time without a run ${longest} ms ` +
        `(leaders ${first}, ${second}, ${third}, paused ${paused}, then ${fourth})`,
    );
  });
});
