import type { ChildProcess } from 'node:child_process';
import { Child } from '../../support/child';

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
  const child = Child.script('sample/main.ts', [
    '--single',
    ...['--id', id, '--gossip-port', '0', '--http-port', '0', '--interval', String(interval)],
    ...join.flatMap((addr) => ['--join', addr]),
  ]);
  const stop = (signal: NodeJS.Signals = 'SIGTERM', timeout = 8000) => child.stop(signal, timeout);
  return new Promise<SampleProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop('SIGKILL');
      reject(new Error(`${id} did not start within ${startTimeout} ms:\n${child.output()}`));
    }, startTimeout);
    const up = new RegExp(`${id} up: gossip (\\S+), http (\\S+)`);
    child.onLine(() => {
      const addresses = up.exec(child.output());
      if (!addresses) return;
      clearTimeout(timer);
      resolve({
        id,
        gossipAddr: addresses[1],
        http: addresses[2],
        child: child.process,
        output: () => child.output(),
        stop,
      });
    });
    void child.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${id} exited (${code}) before it was up:\n${child.output()}`));
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
