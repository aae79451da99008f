/**
 * CPU profiles of the join phase and of steady state, N nodes in this
 * process (as bench/run.ts), each written as a .cpuprofile and summed by
 * frame (self time). Nodes join node 0 one after another.
 *
 *   node .bench-build/bench/profile-phases.js --nodes 100 --out /tmp/prof
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { Session } from 'node:inspector';
import { loadavg } from 'node:os';
import { Registry } from 'prom-client';
import { resolveOptions } from '../lib/engine/config/options';
import { Gossip, socketTransport, type TransportFactory } from '../lib/engine';

/** Datagrams and bytes sent, by message type (first byte), and streams opened. */
const byType = new Map<number, { packets: number; bytes: number }>();
let streams = 0;
function counted(inner: TransportFactory): TransportFactory {
  return async (bindAddr, handler) => {
    const t = await inner(bindAddr, handler);
    return {
      get localAddr() {
        return t.localAddr;
      },
      sendPacket(to, data) {
        const c = byType.get(data[0]) ?? { packets: 0, bytes: 0 };
        c.packets++;
        c.bytes += data.length;
        byType.set(data[0], c);
        t.sendPacket(to, data);
      },
      request(to, data, timeoutMs) {
        streams++;
        return t.request(to, data, timeoutMs);
      },
      close: () => t.close(),
    };
  };
}
function traffic(): string {
  const rows = [...byType]
    .sort((a, b) => a[0] - b[0])
    .map(([k, v]) => `type ${k}: ${v.packets} pkts ${v.bytes} B`);
  byType.clear();
  const s = streams;
  streams = 0;
  return [...rows, `streams ${s}`].join(', ');
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** --plain: no profiler (its sampling costs CPU), figures only. */
const plain = process.argv.includes('--plain');
const emptyProfile = { profile: { nodes: [], startTime: 0, endTime: 0 } };
const post = <T>(s: Session, method: string, params?: object) =>
  plain && method !== 'Profiler.enable' && method !== 'Profiler.setSamplingInterval'
    ? Promise.resolve(emptyProfile as T)
    : new Promise<T>((resolve, reject) =>
        s.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))),
      );

function top(profile: Profile, count: number): string {
  const byFrame = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    total += hits;
    const file = n.callFrame.url.split('/').slice(-2).join('/');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber + 1}`;
    byFrame.set(key, (byFrame.get(key) ?? 0) + hits);
  }
  const idle = [...byFrame].filter(([k]) => k.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0);
  const rows = [...byFrame]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
  return [`busy ${(100 - (100 * idle) / total).toFixed(1)}% of samples`, ...rows].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const n = Number(argv[argv.indexOf('--nodes') + 1] ?? 100);
  const out = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : '/tmp/prof';
  const steadyMs = 15_000;
  mkdirSync(out, { recursive: true });
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 500 });
  const limits = resolveOptions({ bindAddr: '127.0.0.1:0', maxPacketSize: 1400 });
  const nodes: Gossip[] = [];
  for (let i = 0; i < n; i++)
    nodes.push(
      await Gossip.create({
        bindAddr: '127.0.0.1:0',
        nodeId: `node-${i}`,
        interval: 100,
        maxPacketSize: 1400,
        registry: new Registry(),
        nodeExpiry: 600_000,
        transport: counted(socketTransport(limits)),
      }),
    );
  const seed = nodes[0].localNode().addr;
  const live = (g: Gossip) => g.nodes().filter((m) => m.status === 'alive').length;
  console.log(
    `load before join ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  await post(session, 'Profiler.start');
  const joinCpu = process.cpuUsage();
  const start = performance.now();
  const calls: number[] = [];
  for (const g of nodes.slice(1)) {
    const t = performance.now();
    await g.join([seed]);
    calls.push(performance.now() - t);
  }
  const callsDone = performance.now() - start;
  while (!nodes.every((g) => live(g) === n)) await sleep(5);
  const all = performance.now() - start;
  const join = (await post<{ profile: Profile }>(session, 'Profiler.stop')).profile;
  const joinUsed = process.cpuUsage(joinCpu);
  console.log(`join phase CPU ${((joinUsed.user + joinUsed.system) / 1000).toFixed(0)} ms`);
  calls.sort((a, b) => a - b);
  console.log(
    `join: calls ${callsDone.toFixed(0)} ms (p50 ${calls[calls.length >> 1].toFixed(1)} ms, max ${calls[calls.length - 1].toFixed(1)} ms), all see all ${all.toFixed(0)} ms`,
  );
  console.log(traffic());
  writeFileSync(`${out}/join.cpuprofile`, JSON.stringify(join));
  console.log(top(join, 30));
  await sleep(3000);
  traffic();
  console.log(
    `load before steady ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const cpu = process.cpuUsage();
  await post(session, 'Profiler.start');
  await sleep(steadyMs);
  const steady = (await post<{ profile: Profile }>(session, 'Profiler.stop')).profile;
  const used = process.cpuUsage(cpu);
  console.log(
    `steady CPU ${((100 * (used.user + used.system)) / 1000 / steadyMs).toFixed(1)}% (profiler ${plain ? 'off' : 'on'}), RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(traffic());
  writeFileSync(`${out}/steady.cpuprofile`, JSON.stringify(steady));
  console.log(top(steady, 30));
  await Promise.all(nodes.map((g) => g.close()));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
