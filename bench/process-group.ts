/**
 * The processes one bench phase starts, and the promise that none outlives
 * it: `stop()` ends them (SIGTERM, then SIGKILL), a Ctrl-C or a crash of the
 * bench kills them at once, and a small watcher kills them even if the bench
 * itself is killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const live = new Set<ProcessGroup>();
let handlersInstalled = false;

/** Kills every started process now (synchronous: also safe in an 'exit' handler). */
function killAll(): void {
  for (const group of live) group.kill();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping every bench process`);
      killAll();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

export interface Started {
  child: ChildProcess;
  pid: number;
  label: string;
  /** Its last lines on stderr, to explain an early exit. */
  stderrTail: string[];
}

export class ProcessGroup {
  private readonly started: Started[] = [];
  private watcher: ChildProcess | undefined;
  /** Set when a process ended before `stop()`: the measurement would be wrong. */
  exitedEarly: string | undefined;
  private stopping = false;

  constructor() {
    installHandlers();
    live.add(this);
  }

  get processes(): readonly Started[] {
    return this.started;
  }

  /**
   * Starts one process; `onLine` gets each line it prints on stdout. With
   * `stdin`, its standard input is a pipe the bench writes commands to.
   */
  spawn(
    label: string,
    command: string,
    args: string[],
    onLine?: (line: string) => void,
    stdin = false,
  ): Started {
    const child = spawn(command, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error(`could not start ${label}: ${command}`);
    const entry: Started = { child, pid: child.pid, label, stderrTail: [] };
    this.started.push(entry);
    createInterface({ input: child.stdout! }).on('line', (line) => onLine?.(line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (process.env.BENCH_DEBUG) console.error(`  ${label}: ${line}`);
      entry.stderrTail.push(line);
      if (entry.stderrTail.length > 5) entry.stderrTail.shift();
    });
    child.on('exit', (code, signal) => {
      if (this.stopping || this.exitedEarly) return;
      this.exitedEarly = `${label} (pid ${entry.pid}) exited (${signal ?? code}): ${entry.stderrTail.join(' | ') || 'no stderr'}`;
    });
    return entry;
  }

  /**
   * Starts (or restarts) the watcher: a shell that waits for this bench to end,
   * however it ends, then kills what is still running. It only sleeps meanwhile.
   */
  armWatcher(): void {
    this.disarmWatcher();
    const pids = this.started.map((s) => s.pid).join(' ');
    const script = `tail --pid=${process.pid} -f /dev/null 2>/dev/null; kill -9 ${pids} 2>/dev/null`;
    this.watcher = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    this.watcher.unref();
  }

  private disarmWatcher(): void {
    const pid = this.watcher?.pid;
    this.watcher = undefined;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL'); // its own process group: the shell and its tail
    } catch {
      // already gone
    }
  }

  /** SIGKILL to every process still running, now. */
  kill(): void {
    this.stopping = true;
    for (const s of this.started) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    }
    this.disarmWatcher();
  }

  /** SIGTERM to all, SIGKILL to any still running after `graceMs`; resolves when all ended. */
  async stop(graceMs = 2000): Promise<void> {
    this.stopping = true;
    const running = this.started.filter(
      (s) => s.child.exitCode === null && s.child.signalCode === null,
    );
    const ended = running.map((s) => new Promise((resolve) => s.child.once('exit', resolve)));
    for (const s of running) s.child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    await Promise.all(ended);
    clearTimeout(timer);
    this.disarmWatcher();
    live.delete(this);
  }
}
