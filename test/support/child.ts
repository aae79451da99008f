import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The repository root: scripts run from here. */
export const ROOT = join(__dirname, '..', '..');

/** Runs the repository's TypeScript in a child process (`node -r TS_REGISTER file.ts`); see the file. */
export const TS_REGISTER = join(__dirname, 'ts-register.js');

export interface ChildOptions {
  /** Extra environment variables (the parent's are passed on). */
  env?: NodeJS.ProcessEnv;
  /** A command prefix that runs the process somewhere else, e.g. `ip netns exec NS`. */
  via?: string[];
}

/**
 * A child process whose stdout and stderr are kept for failure messages,
 * whose stdout can be read line by line, and which is stopped with a signal.
 * `Child.script` runs a TypeScript file of this repository.
 */
export class Child {
  readonly process: ChildProcess;
  /** Resolves with the exit code (or the signal that ended it). */
  readonly exited: Promise<number | NodeJS.Signals>;
  private text = '';
  private errorText = '';

  constructor(command: string, args: string[], { env, via = [] }: ChildOptions = {}) {
    const [program, ...rest] = [...via, command, ...args];
    this.process = spawn(program, rest, {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code, signal) => resolve(code ?? signal ?? 1)),
    );
    const keep = (chunk: Buffer) => (this.text += chunk.toString());
    this.process.stdout!.on('data', keep);
    this.process.stderr!.on('data', (chunk: Buffer) => {
      keep(chunk);
      this.errorText += chunk.toString();
    });
  }

  /**
   * `node -r test/support/ts-register.js <script> ...args`, `script` relative
   * to the root: ts-node's transpile-only mode, with a cache on disk.
   */
  static script(script: string, args: string[], options?: ChildOptions): Child {
    return new Child(process.execPath, ['-r', TS_REGISTER, script, ...args], options);
  }

  /** Everything it printed so far, stdout and stderr. */
  output(): string {
    return this.text;
  }

  /** What it printed on stderr so far. */
  errors(): string {
    return this.errorText;
  }

  /** Calls `listener` with each line it prints on stdout. */
  onLine(listener: (line: string) => void): void {
    createInterface({ input: this.process.stdout! }).on('line', listener);
  }

  /** Writes one line to its stdin. */
  writeLine(line: string): void {
    this.process.stdin!.write(line + '\n');
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  signal(name: NodeJS.Signals): void {
    if (this.running) this.process.kill(name);
  }

  /** Closes its stdin, sends `signal` and waits for the exit (SIGKILL after `timeout` ms). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeout = 8000): Promise<void> {
    this.process.stdin!.end();
    if (!this.running) return;
    this.process.kill(signal);
    const timer = setTimeout(() => this.signal('SIGKILL'), timeout);
    await this.exited;
    clearTimeout(timer);
  }
}
