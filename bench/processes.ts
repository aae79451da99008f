/**
 * `npm run bench -- --processes K`: the steady cost of one node where it
 * really runs, its own process. K processes of ours (engine entry), then K of
 * the bare-Node floor program, then K memberlist nodes, each kind alone on
 * the machine (or, with `together`, every kind at the same moment), one node
 * per process on 127.0.0.1. After `settle` seconds each
 * process's CPU (utime + stime from /proc/PID/stat) is measured over a window
 * of `steady` seconds, and its VmRSS at the end of it. Prints one table with
 * the ratios to the floor and appends one line to bench/results/bench.jsonl.
 */
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { anchorDir, buildAnchor, GO_SETUP_COMMAND, memberlistUnavailable } from './memberlist';
import { freePorts } from './ports';
import { ProcessGroup } from './process-group';
import { clockTicksPerSecond, cpuTicks, rssMiB } from './proc-stats';

export interface ProcessesArgs {
  /** Processes of each kind. */
  k: number;
  settleSeconds: number;
  steadySeconds: number;
  /** memberlist-node preset: lan-x0.5 (every LAN timing halved) or lan. */
  preset: string;
  /**
   * Every kind at the same moment, measured over one window, instead of one
   * kind after another: the machine's drift between kinds then moves no ratio.
   */
  together?: boolean;
}

export type ProcessKind = 'ours' | 'floor' | 'memberlist';

/** Mean, smallest and largest over the K processes of one kind. */
export interface Spread {
  mean: number;
  min: number;
  max: number;
}

export interface KindResult {
  kind: ProcessKind;
  label: string;
  windowSeconds: number;
  /** CPU of each process over the window, % of one core. */
  cpuPercent: Spread;
  /** VmRSS of each process at the end of the window, MiB. */
  rssMiB: Spread;
  loadAvg1m: { before: number; after: number };
  /** What was checked about the cluster itself (ours only: the others print nothing). */
  check: string;
}

const LABELS: Record<ProcessKind, string> = {
  ours: 'ours, engine entry',
  floor: 'bare-Node floor',
  memberlist: 'memberlist',
};

/** Issue 17: one node of ours costs at most 1.2 times the floor's CPU. */
const CPU_TARGET = 1.2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spread(values: number[]): Spread {
  return {
    mean: values.reduce((s, v) => s + v, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** Waits until `cond`, failing at once if a process of `group` died. */
async function waitFor(
  group: ProcessGroup,
  cond: () => boolean,
  limitMs: number,
  what: string,
): Promise<void> {
  const end = performance.now() + limitMs;
  for (;;) {
    if (group.exitedEarly) throw new Error(`while waiting for ${what}: ${group.exitedEarly}`);
    if (cond()) return;
    if (performance.now() > end)
      throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Sleeps `ms`, failing at once if a process of `group` died meanwhile. */
async function hold(group: ProcessGroup, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  await waitFor(group, () => performance.now() >= end, ms + 60_000, what);
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** Ours: tracks what each process printed (see one-node.ts). */
interface OurOutput {
  joined: boolean;
  live: number;
  unreachable: number;
}

/**
 * Starts the K processes of `kind`, seed first; resolves once they are up
 * (ours: every join call returned), with a check to run at the end.
 */
async function startKind(
  group: ProcessGroup,
  kind: ProcessKind,
  k: number,
  preset: string,
  memberlistNode: string | undefined,
): Promise<() => string> {
  if (kind === 'floor') {
    const ports = await freePorts(k);
    const script = `${anchorDir('memberlist-node', 'floor-node.mjs')}/floor-node.mjs`;
    // Each sends to the next, in a ring, as the floor program's README runs it.
    ports.forEach((port, i) =>
      group.spawn(`floor-${i}`, process.execPath, [
        script,
        String(port),
        `127.0.0.1:${ports[(i + 1) % k]}`,
      ]),
    );
    return () => 'not checked (it only sends datagrams)';
  }
  if (kind === 'memberlist') {
    const ports = await freePorts(k);
    const seed = `127.0.0.1:${ports[0]}`;
    const start = (i: number) =>
      group.spawn(`memberlist-${i}`, memberlistNode!, [
        ...['-name', `m-${i}`, '-port', String(ports[i]), '-preset', preset],
        ...(i === 0 ? [] : ['-join', seed]),
      ]);
    start(0);
    let up = false;
    await waitFor(
      group,
      () => {
        void tcpAccepts(ports[0]).then((ok) => (up ||= ok));
        return up;
      },
      30_000,
      'memberlist seed to listen',
    );
    for (let i = 1; i < k; i++) start(i);
    // memberlist-node prints nothing; it retries its join every 200 ms until it succeeds.
    return () => 'not checked (memberlist-node prints nothing)';
  }
  const script = resolve(__dirname, 'one-node.js');
  const outputs: OurOutput[] = Array.from({ length: k }, () => ({
    joined: false,
    live: 0,
    unreachable: 0,
  }));
  let seed = '';
  // Each binds any free port itself (port 0) and prints its address: no race for ports.
  const start = (i: number) =>
    group.spawn(
      `ours-${i}`,
      process.execPath,
      [script, `p-${i}`, '0', ...(i === 0 ? [] : [seed])],
      (line) => {
        const [word, value] = line.split(' ');
        if (word === 'joined') {
          outputs[i].joined = true;
          if (i === 0) seed = value;
        } else if (word === 'live') outputs[i].live = Number(value);
        else if (word === 'unreachable') outputs[i].unreachable++;
      },
    );
  start(0);
  await waitFor(group, () => outputs[0].joined, 30_000, 'our seed to start');
  for (let i = 1; i < k; i++) start(i);
  await waitFor(group, () => outputs.every((o) => o.joined), 120_000, 'every join call of ours');
  return () => {
    const seeingAll = outputs.filter((o) => o.live === k).length;
    const verdicts = outputs.reduce((s, o) => s + o.unreachable, 0);
    return `${seeingAll} of ${k} processes see ${k} live; ${verdicts} unreachable verdicts`;
  };
}

/**
 * Starts a kind's processes, again with new ports if one failed at start: the
 * floor and memberlist are given ports found free a moment before, which
 * another program on the machine may take first.
 */
async function startWithRetry(
  kind: ProcessKind,
  label: string,
  args: ProcessesArgs,
  memberlistNode: string | undefined,
): Promise<{ group: ProcessGroup; check: () => string }> {
  for (let attempt = 1; ; attempt++) {
    const group = new ProcessGroup();
    try {
      const check = await startKind(group, kind, args.k, args.preset, memberlistNode);
      group.armWatcher();
      await hold(group, 1000, `${label} to start`); // a bind failure shows within this
      return { group, check };
    } catch (err) {
      await group.stop();
      if (attempt >= 3) throw err;
      console.log(`  ${label}: start failed (${(err as Error).message}); again with new ports`);
    }
  }
}

interface Started {
  kind: ProcessKind;
  label: string;
  group: ProcessGroup;
  check: () => string;
  loadBefore: number;
}

async function startLabelled(
  kind: ProcessKind,
  args: ProcessesArgs,
  memberlistNode: string | undefined,
): Promise<Started> {
  const label = kind === 'memberlist' ? `${LABELS[kind]} ${args.preset}` : LABELS[kind];
  console.log(`${label}: starting ${args.k} processes`);
  const loadBefore = loadavg()[0];
  const { group, check } = await startWithRetry(kind, label, args, memberlistNode);
  return { kind, label, group, check, loadBefore };
}

/** Settles, then measures the CPU of every started kind over one window (one kind, or all together). */
async function measure(started: Started[], args: ProcessesArgs): Promise<KindResult[]> {
  const ticksPerSecond = clockTicksPerSecond();
  const names = started.map((s) => s.label).join(', ');
  for (const s of started) await hold(s.group, 0, `${s.label} to settle`);
  const settleEnd = performance.now() + args.settleSeconds * 1000;
  while (performance.now() < settleEnd)
    for (const s of started) await hold(s.group, 100, `${names} to settle`);
  const pids = started.map((s) => s.group.processes.map((p) => p.pid));
  const before = pids.map((ps) => ps.map(cpuTicks));
  const startedAt = performance.now();
  const windowEnd = startedAt + args.steadySeconds * 1000;
  while (performance.now() < windowEnd)
    for (const s of started) await hold(s.group, 100, `${names}'s window`);
  const after = pids.map((ps) => ps.map(cpuTicks));
  const windowSeconds = (performance.now() - startedAt) / 1000;
  return started.map((s, g) => {
    const rss = pids[g].map(rssMiB);
    if ([...before[g], ...after[g], ...rss].some((v) => v === undefined)) {
      throw new Error(`${s.label}: a process vanished during the window`);
    }
    const cpu = pids[g].map(
      (_, i) => ((after[g][i]! - before[g][i]!) / ticksPerSecond / windowSeconds) * 100,
    );
    const result: KindResult = {
      kind: s.kind,
      label: s.label,
      windowSeconds,
      cpuPercent: spread(cpu),
      rssMiB: spread(rss as number[]),
      loadAvg1m: { before: s.loadBefore, after: loadavg()[0] },
      check: s.check(),
    };
    console.log(
      `  ${s.label}: CPU ${result.cpuPercent.mean.toFixed(2)}% of a core, RSS ${result.rssMiB.mean.toFixed(1)} MiB per process; ${result.check}`,
    );
    return result;
  });
}

/** Runs `kinds` and measures them: each alone in turn, or all at the same moment. */
async function runKinds(
  kinds: ProcessKind[],
  args: ProcessesArgs,
  memberlistNode: string | undefined,
): Promise<KindResult[]> {
  const batches = args.together ? [kinds] : kinds.map((k) => [k]);
  const results: KindResult[] = [];
  for (const batch of batches) {
    const started: Started[] = [];
    try {
      for (const kind of batch) started.push(await startLabelled(kind, args, memberlistNode));
      results.push(...(await measure(started, args)));
    } finally {
      for (const s of started) await s.group.stop();
    }
  }
  return results;
}

/** Builds what the run needs, then measures the kinds (in turn, or `together`). */
export async function runProcesses(args: ProcessesArgs): Promise<KindResult[]> {
  const kinds: ProcessKind[] = ['ours', 'floor'];
  let memberlistNode: string | undefined;
  if (!anchorDir('memberlist-node', 'floor-node.mjs')) {
    throw new Error(
      'floor-node.mjs not found: set MEMBERLIST_NODE_SRC to ../shared/anchors/memberlist-node',
    );
  }
  const missing = memberlistUnavailable('memberlist-node');
  if (missing) {
    console.log(
      `memberlist skipped: ${missing}. To include it: ${GO_SETUP_COMMAND}; measuring ours and the floor.`,
    );
  } else {
    memberlistNode = buildAnchor('memberlist-node');
    kinds.push('memberlist');
  }
  console.log(
    `${args.k} processes per kind, one node each, on 127.0.0.1; ${args.together ? 'every kind at the same moment' : 'each kind alone'}: ${args.settleSeconds} s to settle, then ${args.steadySeconds} s measured`,
  );
  return runKinds(kinds, args, memberlistNode);
}

/** The table: each kind per process, and its ratio to the floor. */
export function processesTable(k: number, results: KindResult[]): string {
  const floor = results.find((r) => r.kind === 'floor');
  const ratio = (a: number, b: number | undefined) => (b ? (a / b).toFixed(2) : '-');
  const range = (s: Spread, digits: number) =>
    `${s.mean.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;
  const header = [
    `K = ${k}, per process`,
    'CPU, % of a core (min-max)',
    'RSS, MiB (min-max)',
    'CPU / floor',
    'RSS / floor',
    'load 1m',
  ];
  const rows = results.map((r) => [
    r.label,
    range(r.cpuPercent, 2),
    range(r.rssMiB, 1),
    ratio(r.cpuPercent.mean, floor?.cpuPercent.mean),
    ratio(r.rssMiB.mean, floor?.rssMiB.mean),
    `${r.loadAvg1m.before.toFixed(2)}-${r.loadAvg1m.after.toFixed(2)}`,
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  const lines = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const ours = results.find((r) => r.kind === 'ours');
  if (ours && floor) {
    const x = ours.cpuPercent.mean / floor.cpuPercent.mean;
    lines.push(
      `issue 17 target, ours CPU <= ${CPU_TARGET}x floor: ${x <= CPU_TARGET ? 'met' : 'NOT met'} (${x.toFixed(2)}x)`,
    );
  }
  return lines.join('\n');
}
