/**
 * Discovery lookups per second, with 500 live members of 20 keys each:
 * `holders(key)` (a key one member holds, and `rpc`, which all 500 hold),
 * `owner(key)` over every member (4,096 keys asked in turn, as a service
 * asks for its tenants; and a new key every time, which no cache helps),
 * `owner(key, { holding: 'rpc' })` and `owners(key, 3)`.
 * Prints a table and appends one JSON line to bench/results/lookups.jsonl.
 *
 *   npm run bench:lookups
 *   npm run bench:lookups -- --members 2000 --seconds 2
 *
 * The view is built without sockets: the engine's own `Discovery` (and its
 * index) over records shaped as the engine's, fed member by member the way
 * the facade feeds it after each change. Reads never touch the records, so
 * this measures exactly what `gossip.discovery` and `GossipDiscoveryService`
 * do per lookup; 500 real engines would only add gossip traffic to the run.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Discovery, type DiscoverySource } from '../lib/engine/discovery/discovery';
import type { NodeRecord } from '../lib/engine/state/node-record';

interface Args {
  members: number;
  keysPerMember: number;
  seconds: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { members: 500, keysPerMember: 20, seconds: 1 };
  for (let i = 0; i < argv.length; i++) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--members') args.members = value;
    else if (argv[i] === '--keys') args.keysPerMember = value;
    else if (argv[i] === '--seconds') args.seconds = value;
    else throw new Error(`unknown argument ${argv[i]}`);
    i++;
  }
  if (!Number.isInteger(args.members) || args.members < 1) throw new Error('--members: >= 1');
  if (!Number.isInteger(args.keysPerMember) || args.keysPerMember < 2)
    throw new Error('--keys: >= 2');
  if (!(args.seconds > 0)) throw new Error('--seconds: > 0');
  return args;
}

/** `members` live records: `rpc` on each, the rest of the keys their own. */
function buildView({ members, keysPerMember }: Args): { discovery: Discovery; ids: string[] } {
  const records = new Map<string, Pick<NodeRecord, 'id' | 'left' | 'vitals' | 'liveEntries'>>();
  for (let i = 0; i < members; i++) {
    const id = `node-${i}`;
    const entries = new Map<string, string>([['rpc', `10.0.${i >> 8}.${i & 255}:4000`]]);
    for (let k = 1; k < keysPerMember; k++) entries.set(`${id}/svc-${k}`, `value-${k}`);
    const vitals = { status: 'alive' } as NodeRecord['vitals'];
    records.set(id, { id, left: false, vitals, liveEntries: () => new Map(entries) });
  }
  const source: DiscoverySource = {
    record: (id) => records.get(id) as NodeRecord | undefined,
    describe: (r) => ({
      id: r.id,
      addr: '',
      version: 0,
      left: r.left,
      unreachable: false,
      status: r.left ? 'left' : 'alive',
    }),
  };
  const discovery = new Discovery(source);
  for (const id of records.keys()) discovery.refresh(id);
  return { discovery, ids: [...records.keys()] };
}

/** Calls `lookup(i)` for `seconds` (after a warm-up) and returns lookups per second. */
function rate(seconds: number, lookup: (i: number) => unknown): number {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) if (lookup(i) !== undefined) sink++;
  let calls = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    for (let j = 0; j < 1000; j++) if (lookup(calls++) !== undefined) sink++;
  }
  if (sink < 0) console.log(sink); // keeps the results alive
  return calls / ((performance.now() - started) / 1000);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const { discovery, ids } = buildView(args);
  const keys = Array.from({ length: 4096 }, (_, i) => `tenant-${i}`);
  const ownKeys = ids.map((id) => `${id}/svc-1`);
  const rpc = { holding: 'rpc' };
  const figures = {
    'holders(key), 1 holder': rate(args.seconds, (i) =>
      discovery.holders(ownKeys[i % ownKeys.length]),
    ),
    [`holders('rpc'), ${args.members} holders`]: rate(args.seconds, () => discovery.holders('rpc')),
    'owner(key)': rate(args.seconds, (i) => discovery.owner(keys[i & 4095])),
    'owner(key), a key never asked before': rate(args.seconds, (i) =>
      discovery.owner(`fresh-${i}`),
    ),
    "owner(key, { holding: 'rpc' })": rate(args.seconds, (i) =>
      discovery.owner(keys[i & 4095], rpc),
    ),
    'owners(key, 3)': rate(args.seconds, (i) => discovery.owners(keys[i & 4095], 3)),
  };
  console.log(
    `discovery lookups, ${args.members} members x ${args.keysPerMember} keys, ${args.seconds} s each`,
  );
  for (const [name, perSecond] of Object.entries(figures))
    console.log(`  ${name.padEnd(40)} ${Math.round(perSecond).toLocaleString('en-US')}/s`);
  const load = loadavg()[0].toFixed(2);
  console.log(`  (load average ${load} on ${cpus().length} cores: a busy machine lowers these)`);
  mkdirSync('bench/results', { recursive: true });
  appendFileSync(
    'bench/results/lookups.jsonl',
    JSON.stringify({ at: new Date().toISOString(), ...args, load, figures }) + '\n',
  );
}

main();
