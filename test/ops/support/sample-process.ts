import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/** One sample node (`npm start -- --single`) in its own process, as it would run in a pod. */
export interface SampleProcess {
  id: string;
  /** `http://127.0.0.1:PORT` */
  http: string;
  /** `127.0.0.1:PORT` */
  gossipAddr: string;
  child: ChildProcess;
  /** What it printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Sends `signal` and waits for the exit (SIGKILL after `timeout` ms). */
  stop(signal?: NodeJS.Signals, timeout?: number): Promise<void>;
}

/**
 * Starts `sample/main.ts --single` with free ports and resolves once it
 * prints its addresses. `join` are gossip addresses of running nodes.
 */
export function startSampleProcess(
  id: string,
  join: string[] = [],
  interval = 100,
  startTimeout = 45_000,
): Promise<SampleProcess> {
  const args = [
    require.resolve('ts-node/dist/bin.js'),
    '--transpile-only',
    'sample/main.ts',
    '--single',
    ...['--id', id, '--gossip-port', '0', '--http-port', '0', '--interval', String(interval)],
    ...join.flatMap((addr) => ['--join', addr]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeout = 8000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<SampleProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop('SIGKILL');
      reject(new Error(`${id} did not start within ${startTimeout} ms:\n${output}`));
    }, startTimeout);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const up = new RegExp(`${id} up: gossip (\\S+), http (\\S+)`).exec(output);
      if (!up) return;
      clearTimeout(timer);
      resolve({ id, gossipAddr: up[1], http: up[2], child, output: () => output, stop });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${id} exited (${code ?? signal}) before it was up:\n${output}`));
    });
  });
}

/** node-1, then node-2 .. node-N in parallel joining it: a three-process cluster in about 6 s. */
export async function startSampleCluster(n = 3, interval = 100): Promise<SampleProcess[]> {
  const first = await startSampleProcess('node-1', [], interval);
  const rest = await Promise.allSettled(
    Array.from({ length: n - 1 }, (_, i) =>
      startSampleProcess(`node-${i + 2}`, [first.gossipAddr], interval),
    ),
  );
  const started = [first, ...rest.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))];
  const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((p) => p.stop('SIGKILL')));
    throw failed.reason;
  }
  return started;
}

export async function stopAll(nodes: SampleProcess[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()));
}
