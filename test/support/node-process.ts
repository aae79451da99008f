import { Child, type ChildOptions } from './child';

/** What a node process reports every 50 ms. */
export interface NodeStatusReport {
  live: string[];
  unreachable: string[];
  /** owner -> key -> value, live entries only. */
  values: Record<string, Record<string, string>>;
}

/**
 * One gossip engine in its own process (test/support/node-script.ts): it
 * binds `bind`, joins `seed` (`-` for none) and reports its view as JSON
 * lines, which this object keeps. `via` runs it elsewhere (a network namespace).
 */
export class NodeProcess {
  /** The address it bound, once it is up. */
  addr: string | undefined;
  joined = false;
  status: NodeStatusReport | undefined;
  /**
   * Status reports received so far: one per 50 ms of the process's own
   * timers, a clock that slows down with it when the machine is busy.
   */
  reports = 0;
  /** The report number at which each peer was first reported unreachable, per stretch. */
  readonly unreachableSince = new Map<string, number>();
  private readonly child: Child;

  constructor(
    readonly id: string,
    bind: string,
    seed: string,
    interval: number,
    options?: ChildOptions,
  ) {
    this.child = Child.script(
      'test/support/node-script.ts',
      [id, bind, seed, String(interval)],
      options,
    );
    this.child.onLine((line) => {
      const message = JSON.parse(line) as {
        ready?: string;
        joined?: string[];
        status?: NodeStatusReport;
      };
      if (message.ready) this.addr = message.ready;
      if (message.joined) this.joined = true;
      if (!message.status) return;
      this.status = message.status;
      this.reports++;
      for (const peer of message.status.unreachable)
        if (!this.unreachableSince.has(peer)) this.unreachableSince.set(peer, this.reports);
      for (const peer of message.status.live) this.unreachableSince.delete(peer);
    });
  }

  get ready(): boolean {
    return this.addr !== undefined;
  }

  /** What it printed on stderr so far, for failure messages. */
  errors(): string {
    return this.child.errors();
  }

  upsert(key: string, value: string): void {
    this.child.writeLine(JSON.stringify({ upsert: [key, value] }));
  }

  sees(ids: string[]): boolean {
    const live = new Set(this.status?.live ?? []);
    return ids.every((id) => live.has(id));
  }

  suspects(id: string): boolean {
    return this.status?.unreachable.includes(id) ?? false;
  }

  value(owner: string, key: string): string | undefined {
    return this.status?.values[owner]?.[key];
  }

  signal(name: NodeJS.Signals): void {
    this.child.signal(name);
  }

  /** Kills it at once: the tests that use it crash nodes on purpose. */
  stop(): Promise<void> {
    return this.child.stop('SIGKILL');
  }
}
