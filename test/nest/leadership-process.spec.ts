import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { leadershipTiming } from '../../lib/engine/discovery/leadership';
import { TS_REGISTER } from '../support/child';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

const EXPECTED_SIZE = 5;
/** The gossip round of every app (leader-node.ts sets it). */
const ROUND = 100;
/** The job's `@Interval` in leader-node.ts: one run is due in every such window. */
const JOB_EVERY = 200;
/** Both the timer's clock and `Date.now()` count whole milliseconds: consecutive runs may read 199 apart. */
const CLOCK_GRAIN = 1;
/** How finely leader-node.ts samples its event loop's delay (monitorEventLoopDelay), ms. */
const STALL_RESOLUTION = 10;
const TIMING = leadershipTiming(ROUND);
/**
 * The configured detection time under the quorum guard: a successor takes a
 * crashed (or stopped) leader's role once that leader's beats stopped moving
 * for a lease, and leads once a quorum echoed its own first beat. Each beat
 * reaches the others within a beat period, once each way.
 */
const DETECTION = TIMING.lease + 2 * TIMING.beatEvery;

interface Run {
  node: string;
  token: number;
  at: number;
  /** The longest the runner's event loop was blocked since its previous run, ms. */
  stall: number;
}

/** Every run of every process, in the order the parent read them. */
const runs: Run[] = [];
/** Each `unreachable` verdict of every process (who held whom unreachable, when). */
const verdicts: Array<{ by: string; node: string; at: number }> = [];
/** Each `join` every process saw (who saw whom join, when). */
const joins: Array<{ by: string; node: string; at: number }> = [];

/** Windows emptied by a stall of the leader's own process (see windowsBreakingTheRule). */
const stalls: string[] = [];
/** Each leadership change every process reported: shown beside a broken window. */
const changes: Array<{ by: string; leader?: string; leading: boolean; at: number }> = [];

/** A stretch of time in which the one-run-per-window rule is suspended, and why. */
interface Failover {
  what: string;
  from: number;
  to: number;
}

/**
 * The 200 ms windows that break "exactly one run", outside the failovers.
 * Windows are computed from the runs: each run opens a window, and the next
 * run is due in the window after it (so a timer that fires a little late
 * moves the windows with it instead of emptying one). A window breaks the
 * rule when it holds a second run, or when a whole window passes with none;
 * it is excused when it overlaps a failover.
 */
function windowsBreakingTheRule(ordered: Run[], failovers: Failover[]): string[] {
  const t0 = ordered[0].at;
  const excused = (from: number, to: number) => failovers.some((f) => from < f.to && to > f.from);
  const near = (at: number) =>
    JSON.stringify({
      runs: ordered
        .filter((r) => Math.abs(r.at - at) < 700)
        .map((r) => [r.node, r.token, r.at - t0, r.stall]),
      changes: changes
        .filter((c) => Math.abs(c.at - at) < 1500)
        .map((c) => [c.by, c.leader, c.leading, c.at - t0]),
    });
  const broken: string[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const [a, b] = [ordered[i - 1], ordered[i]];
    // Two runs of one process come from its one interval timer, which fires
    // once per window. A run whose body started late (other callbacks ran
    // first in that turn of the event loop) reads late, and the next reads
    // early by as much, since Node re-arms the interval from when the timer
    // fired. Such a pair is one run per window, new term or not (CI saw a
    // first run of a term read 3 ms late). Half a window bounds the lateness
    // taken for this, so a second run of the body would still show.
    const oneTimer = a.node === b.node && b.at - a.at >= JOB_EVERY / 2;
    if (b.at - a.at < JOB_EVERY - CLOCK_GRAIN && !oneTimer && !excused(a.at, a.at + JOB_EVERY)) {
      broken.push(`two runs in [${a.at - t0}, ${a.at - t0 + JOB_EVERY}): ${near(a.at)}`);
    }
    // A leader whose own process stood still (the machine is shared) runs late:
    // its event loop, not the handover, emptied the window. Counted, and logged.
    if (
      b.at - a.at >= 2 * JOB_EVERY &&
      a.token === b.token &&
      b.stall + JOB_EVERY + STALL_RESOLUTION >= b.at - a.at
    ) {
      stalls.push(`${b.node} stalled ${b.stall} ms at ${a.at - t0}`);
      continue;
    }
    for (let w = a.at + JOB_EVERY; w + JOB_EVERY <= b.at; w += JOB_EVERY) {
      if (!excused(w, w + JOB_EVERY))
        broken.push(`no run in [${w - t0}, ${w - t0 + JOB_EVERY}): ${near(w)}`);
    }
  }
  return broken;
}

/** One Nest app in its own process (test/nest/support/leader-node.ts). */
class AppProcess {
  addr: string | undefined;
  readyAt = 0;
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
        TS_REGISTER,
        join(__dirname, 'support', 'leader-node.ts'),
        id,
        seed,
        String(EXPECTED_SIZE),
      ],
      { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.child.on('exit', () => (this.exited = true));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as {
        ready?: string;
        run?: Run;
        unreachable?: { by: string; node: string; at: number };
        joined?: { by: string; node: string; at: number };
        change?: { by: string; leader?: string; leading: boolean; at: number };
      };
      if (message.ready) {
        this.addr = message.ready;
        this.readyAt = Date.now();
      }
      if (message.run) runs.push(message.run);
      if (message.unreachable) verdicts.push(message.unreachable);
      if (message.joined) joins.push(message.joined);
      if (message.change) changes.push(message.change);
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

  /**
   * Waits for a run later than `pendingGrace` after the newest process got
   * ready. Before that, the newcomer still treats the claim of a leader that
   * crashed before it joined as possibly live (it never saw that node), and
   * if the rule prefers the newcomer, nobody runs the job until the grace
   * ends (docs/leadership.md, "Measured with real processes"). The faults
   * below test failover, not that join-time grace, so each waits for it.
   */
  async function settled(what: string): Promise<void> {
    const newest = Math.max(...apps.map((a) => a.readyAt));
    await waitFor(
      () => runs.some((r) => r.at > newest + TIMING.pendingGrace),
      `a run ${TIMING.pendingGrace} ms after the newest process joined, ${what}`,
      60_000,
    );
  }

  it('runs on one node at a time, with growing tokens, through a crash, a SIGTERM and a pause', async () => {
    // The first is the seed; the other four start together, as a rollout would.
    await startApp('p0');
    await Promise.all(['p1', 'p2', 'p3', 'p4'].map(startApp));
    await waitFor(() => runs.length >= 10, 'ten runs', 60_000);
    await settled('before the kill');

    // kill -9 the leader; a replacement process starts.
    const first = runner();
    const killedAt = Date.now();
    const killIndex = runs.length;
    apps.find((a) => a.id === first)!.signal('SIGKILL');
    await startApp('p5');
    const second = await nextRunner(killIndex, first);
    const afterKill = runs.slice(killIndex).find((r) => r.node === second)!.at - killedAt;

    // SIGTERM the next leader: it leaves, then exits; a replacement starts.
    await settled('before the SIGTERM');
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
    await settled('before the pause');
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
    // The rule still prefers the resumed node: it gets the role back, in a new term.
    const pausedTerm = Math.max(
      ...runs.slice(0, pauseIndex).flatMap((r) => (r.node === paused ? [r.token] : [])),
    );
    await waitFor(
      () => runs.filter((r) => r.node === paused && r.token > pausedTerm).length >= 5,
      `five runs of ${paused} in a new term after the resume`,
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

    // With the quorum guard on, no two runs overlap: each term's runs are one
    // unbroken streak in time order, so no node ran while another held the role.
    const streaks: number[] = [];
    for (const run of ordered)
      if (streaks[streaks.length - 1] !== run.token) streaks.push(run.token);
    expect(streaks).toEqual([...new Set(streaks)]);

    // Every 200 ms window has exactly one run, apart from the failovers: after
    // the crash and the stop, detection plus one interval; after the SIGTERM,
    // one round; after the resume, the resumed node's resync (it gets the role
    // back: the rule prefers it), the lease handshake (a beat each way) and one
    // interval. A process that joins and wins the rule takes the role over as
    // gracefully as after a SIGTERM: one round after every node saw it join.
    const joinHandovers = apps.slice(1).map(({ id }): Failover => {
      const seen = joins.filter((j) => j.node === id).map((j) => j.at);
      return { what: `${id} joined`, from: Math.min(...seen), to: Math.max(...seen) + ROUND };
    });
    const failovers: Failover[] = [
      ...joinHandovers,
      { what: 'kill -9', from: killedAt, to: killedAt + DETECTION + JOB_EVERY },
      { what: 'SIGTERM', from: termAt, to: termAt + ROUND },
      { what: 'SIGSTOP', from: stoppedAt, to: stoppedAt + DETECTION + JOB_EVERY },
      {
        what: 'SIGCONT',
        from: resumedAt,
        to: resumedAt + TIMING.resyncFor + 2 * TIMING.beatEvery + JOB_EVERY,
      },
    ];
    const t0 = ordered[0].at;
    const heldUnreachable = (node: string, by: string, since: number) =>
      (verdicts.find((v) => v.node === node && v.by === by && v.at >= since)?.at ?? NaN) - since;
    const timeline = [
      ...failovers.map((f) => `${f.what} at ${f.from - t0} ms (failover until ${f.to - t0})`),
      `${fourth} held ${paused} unreachable ${heldUnreachable(paused, fourth, stoppedAt)} ms after SIGSTOP`,
      `${second} held ${first} unreachable ${heldUnreachable(first, second, killedAt)} ms after kill -9`,
    ].join('; ');
    expect({ broken: windowsBreakingTheRule(ordered, failovers), timeline }).toEqual({
      broken: [],
      timeline,
    });

    let longest = 0;
    for (let i = 1; i < ordered.length; i++)
      longest = Math.max(longest, ordered[i].at - ordered[i - 1].at);
    console.log(
      `5 Nest processes, @Interval(200), expectedSize 5: first run of the next leader ` +
        `${afterKill} ms after kill -9, ${afterTerm} ms after SIGTERM, ${afterStop} ms after SIGSTOP; ` +
        `${ordered.length} runs, ${owners.size} terms, longest time without a run ${longest} ms ` +
        `(leaders ${first}, ${second}, ${third}, paused ${paused}, then ${fourth}); ` +
        `windows emptied by a stall of the leader's process: ${stalls.length ? stalls.join(', ') : 'none'}`,
    );
  });
});
