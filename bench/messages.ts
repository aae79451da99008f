/**
 * `npm run bench:messages`: messages between members (issue 19), one engine
 * node per process on 127.0.0.1 (bench/message-node.ts), at N = 10 and 50:
 *
 * - broadcast latency until every other member received it (p50, p99), one
 *   sender publishing a message every `--gap` ms, and until `publish`
 *   resolved (every member acknowledged);
 * - throughput: messages per second one sender sustains with `--in-flight`
 *   unacknowledged publishes, for `--seconds`, every message received by all;
 * - query completion when every member answers, beside a query one member
 *   never answers (its handler never returns), which completes at its
 *   timeout (as every Serf query does): the asker's, or the answering node's
 *   own bound on its handler, whichever fires first, both `timeout` ms.
 *
 *   npm run bench:messages -- [--nodes 10,50] [--messages 100] [--gap 100] [--size 100]
 *       [--seconds 10] [--in-flight 1000] [--queries 50] [--timeout 5000] [--slow-timeout 1000]
 *
 * Prints one table per N and appends one JSON line per N to
 * bench/results/messages.jsonl.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { QUERY_ECHO, QUERY_SLOW, type MessageCommand } from './message-protocol';
import { ProcessGroup, type Started } from './process-group';

interface Args {
  sizes: number[];
  messages: number;
  gapMs: number;
  size: number;
  seconds: number;
  inFlight: number;
  queries: number;
  timeout: number;
  slowTimeout: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    sizes: [10, 50],
    messages: 100,
    gapMs: 100,
    size: 100,
    seconds: 10,
    inFlight: 1000,
    queries: 50,
    timeout: 5000,
    slowTimeout: 1000,
  };
  const flags: Record<string, Exclude<keyof Args, 'sizes'>> = {
    '--messages': 'messages',
    '--gap': 'gapMs',
    '--size': 'size',
    '--seconds': 'seconds',
    '--in-flight': 'inFlight',
    '--queries': 'queries',
    '--timeout': 'timeout',
    '--slow-timeout': 'slowTimeout',
  };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${argv[i]} needs a value`);
    if (argv[i] === '--nodes') args.sizes = value.split(',').map(Number);
    else if (flags[argv[i]]) args[flags[argv[i]]] = Number(value);
    else throw new Error(`unknown argument ${argv[i]}`);
    i++;
  }
  if (args.sizes.some((n) => !Number.isInteger(n) || n < 2 || n > 200))
    throw new Error('--nodes: integers in 2..200');
  for (const key of Object.values(flags)) {
    if (!(args[key] > 0)) throw new Error(`--${key}: a number > 0`);
  }
  return args;
}

type Event = { ev: string } & Record<string, unknown>;

/** One node process and the JSON lines it printed, waited for by kind. */
class NodeProcess {
  readonly id: string;
  live = 0;
  private readonly events: Event[] = [];
  private wake: (() => void) | undefined;
  readonly started: Started;

  /** Binds any free loopback port (no race with other programs for it). */
  constructor(group: ProcessGroup, index: number, seed?: string) {
    this.id = `m-${index}`;
    const script = resolve(__dirname, 'message-node.js');
    const args = [script, this.id, '0', ...(seed ? [seed] : [])];
    this.started = group.spawn(this.id, process.execPath, args, (line) => this.onLine(line), true);
  }

  private onLine(line: string): void {
    let event: Event;
    try {
      event = JSON.parse(line) as Event;
    } catch {
      return console.log(`  | ${this.id}: ${line}`);
    }
    if (event.ev === 'live') this.live = event.count as number;
    else this.events.push(event);
    this.wake?.();
  }

  send(command: MessageCommand): void {
    this.started.child.stdin!.write(JSON.stringify(command) + '\n');
  }

  /** The next event named `ev` (an `error` event fails it). */
  async next<T extends Event>(ev: string, group: ProcessGroup, limitMs: number): Promise<T> {
    const end = performance.now() + limitMs;
    for (;;) {
      const i = this.events.findIndex((e) => e.ev === ev || e.ev === 'error');
      if (i >= 0) {
        const [event] = this.events.splice(i, 1);
        if (event.ev === 'error') throw new Error(`${this.id}: ${String(event.message)}`);
        return event as T;
      }
      if (group.exitedEarly) throw new Error(`waiting for ${ev}: ${group.exitedEarly}`);
      if (performance.now() > end) throw new Error(`${this.id}: no ${ev} within ${limitMs} ms`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 100);
      });
    }
  }
}

interface Report extends Event {
  latency: [string, number, number][];
  throughput: { count: number; first: number; last: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

const spread = (values: number[]) => ({
  p50: percentile(values, 0.5),
  p99: percentile(values, 0.99),
  max: percentile(values, 1),
});

async function waitUntil(group: ProcessGroup, cond: () => boolean, limitMs: number, what: string) {
  const end = performance.now() + limitMs;
  while (!cond()) {
    if (group.exitedEarly) throw new Error(`waiting for ${what}: ${group.exitedEarly}`);
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function runSize(n: number, args: Args): Promise<Record<string, unknown>> {
  const group = new ProcessGroup();
  try {
    const nodes = [new NodeProcess(group, 0)];
    const { addr: seed } = await nodes[0].next<Event & { addr: string }>('joined', group, 30_000);
    for (let i = 1; i < n; i++) nodes.push(new NodeProcess(group, i, seed));
    group.armWatcher();
    await Promise.all(nodes.slice(1).map((x) => x.next('joined', group, 120_000)));
    await waitUntil(group, () => nodes.every((x) => x.live === n), 120_000, `all see ${n} live`);
    await sleep(2000); // let the joins' traffic settle
    const sender = nodes[1];
    const receivers = nodes.filter((x) => x !== sender);
    const reports = async () => {
      await sleep(500);
      for (const x of receivers) x.send({ cmd: 'report' });
      return Promise.all(receivers.map((x) => x.next<Report>('report', group, 30_000)));
    };

    // 1. Latency: each message's time until the last receiver had it.
    console.log(`N=${n}: latency, ${args.messages} messages one every ${args.gapMs} ms`);
    sender.send({ cmd: 'latency', count: args.messages, gapMs: args.gapMs, size: args.size });
    const done = await sender.next<Event & { acked: number[]; refused: number }>(
      'latency-done',
      group,
      args.messages * args.gapMs + 60_000,
    );
    const bySeq = new Map<number, number[]>();
    for (const report of await reports()) {
      for (const [from, seq, ms] of report.latency) {
        if (from !== sender.id) continue;
        bySeq.set(seq, [...(bySeq.get(seq) ?? []), ms]);
      }
    }
    const toAll = [...bySeq.values()]
      .filter((ms) => ms.length === n - 1)
      .map((ms) => Math.max(...ms));
    const latency = {
      messages: args.messages,
      receivedByAll: toAll.length,
      refused: done.refused,
      toAll: spread(toAll),
      acknowledged: spread(done.acked.filter((ms) => ms >= 0)),
      missedAcks: done.acked.filter((ms) => ms < 0).length,
    };

    // 2. Throughput: as fast as the sender's acknowledgements allow.
    console.log(`N=${n}: throughput, ${args.seconds} s with ${args.inFlight} in flight`);
    sender.send({
      cmd: 'throughput',
      seconds: args.seconds,
      inFlight: args.inFlight,
      size: args.size,
    });
    const tp = await sender.next<
      Event & { sent: number; refused: number; missed: number; start: number; end: number }
    >('throughput-done', group, args.seconds * 1000 + 120_000);
    const got = (await reports()).map((r) => r.throughput);
    const lastReceived = Math.max(...got.map((r) => r.last));
    const throughput = {
      sent: tp.sent,
      refused: tp.refused,
      missedAcks: tp.missed,
      receivedByAll: got.every((r) => r.count >= tp.sent),
      fewestReceived: Math.min(...got.map((r) => r.count)),
      perSecond: tp.sent / ((Math.max(lastReceived, tp.end) - tp.start) / 1000),
    };

    // 3. Queries: every member answers; then one never does.
    console.log(`N=${n}: ${args.queries} queries, every member answering`);
    const querier = nodes[0];
    const echo = { cmd: 'query' as const, name: QUERY_ECHO, count: args.queries };
    querier.send({ ...echo, timeout: args.timeout });
    type QueryDone = Event & { ms: number[]; answers: number[]; timedOut: number };
    const q = await querier.next<QueryDone>('query-done', group, args.queries * args.timeout);
    nodes[n - 1].send({ cmd: 'stall' });
    await nodes[n - 1].next('stalled', group, 10_000);
    console.log(`N=${n}: 3 queries one member never answers (timeout ${args.slowTimeout} ms)`);
    querier.send({ cmd: 'query', name: QUERY_SLOW, count: 3, timeout: args.slowTimeout });
    const slow = await querier.next<QueryDone>('query-done', group, 3 * args.slowTimeout + 30_000);
    return {
      n,
      latency,
      throughput,
      query: {
        count: args.queries,
        timeout: args.timeout,
        completion: spread(q.ms),
        allAnswered: q.answers.every((a) => a === n),
        timedOut: q.timedOut,
      },
      silentQuery: {
        timeout: args.slowTimeout,
        completion: spread(slow.ms),
        timedOut: slow.timedOut,
        answers: slow.answers,
      },
    };
  } finally {
    await group.stop();
  }
}

function table(r: Record<string, unknown>, args: Args): string {
  const l = r.latency as {
    toAll: ReturnType<typeof spread>;
    acknowledged: ReturnType<typeof spread>;
    receivedByAll: number;
  };
  const t = r.throughput as { perSecond: number; receivedByAll: boolean; refused: number };
  const q = r.query as { completion: ReturnType<typeof spread>; allAnswered: boolean };
  const s = r.silentQuery as { completion: ReturnType<typeof spread>; timedOut: number };
  const ms = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} ms`);
  const pair = (x: ReturnType<typeof spread>) => `${ms(x.p50)} / ${ms(x.p99)}`;
  const rows: [string, string, string][] = [
    [
      'broadcast received by all, p50 / p99',
      pair(l.toAll),
      `${l.receivedByAll} of ${args.messages} by all, ${args.size} B, one per ${args.gapMs} ms`,
    ],
    ['publish acknowledged by all, p50 / p99', pair(l.acknowledged), ''],
    [
      'throughput, one sender',
      `${Math.round(t.perSecond)} msg/s`,
      `${t.receivedByAll ? 'all received by all' : 'NOT all received'}, ${t.refused} refused (backlog)`,
    ],
    [
      'query, every member answers, p50 / p99',
      pair(q.completion),
      `timeout ${args.timeout} ms; ${q.allAnswered ? 'all answered' : 'NOT all answered'}`,
    ],
    [
      'query, one handler never returns, p50',
      ms(s.completion.p50),
      `timeout ${args.slowTimeout} ms; ${s.timedOut} of 3 by the asker's timer, the rest by the handler's bound`,
    ],
  ];
  const header: [string, string, string] = [`N = ${r.n}, one node per process`, 'value', ''];
  const all = [header, ...rows];
  const widths = [0, 1, 2].map((c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync('bench/results', { recursive: true });
  const runId = `${new Date().toISOString()}-${process.pid}`;
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
  for (const n of args.sizes) {
    const loadBefore = loadavg()[0];
    const result = await runSize(n, args);
    const line = {
      runId,
      system: 'nestjs-gossip messages',
      date: new Date().toISOString(),
      machine,
      loadAvg1m: { before: loadBefore, after: loadavg()[0] },
      settings: args,
      ...result,
    };
    appendFileSync('bench/results/messages.jsonl', JSON.stringify(line) + '\n');
    console.log('\n' + table(result, args) + '\n');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
