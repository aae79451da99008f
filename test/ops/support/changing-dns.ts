import { type ChildProcess, spawn } from 'node:child_process';
import { Resolver as DnsResolver } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resolver } from '../../../lib/engine';

/** Always answered, so a start (or a reload) can be seen to have happened. */
const SENTINEL = 'dnsmasq.sentinel.test';

/**
 * A dnsmasq on 127.0.0.1 whose A records can change while it runs, as a
 * headless Service's do when pods come and go: `set` rewrites its hosts file
 * and sends SIGHUP, which makes dnsmasq read it again (and drop its cache).
 */
export class ChangingDns {
  private serial = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<ChangingDns> {
    // A random port can be taken, or a start can stall on a busy machine: try a few.
    const problems: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'gossip-dns-'));
      const port = 20000 + Math.floor(Math.random() * 20000);
      writeFileSync(join(dir, 'hosts'), `127.0.0.1 ${SENTINEL}\n`);
      const child = spawn(
        'dnsmasq',
        [
          '--keep-in-foreground',
          `--port=${port}`,
          '--listen-address=127.0.0.1',
          '--bind-interfaces',
          '--no-resolv',
          '--no-hosts',
          `--addn-hosts=${join(dir, 'hosts')}`,
          '--local-ttl=0',
          '--no-poll',
          '--conf-file=/dev/null',
          '--pid-file=',
          '--user=root',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const dns = new ChangingDns(child, dir, port);
      try {
        await dns.until((ips) => ips.includes('127.0.0.1'), SENTINEL);
        return dns;
      } catch (err) {
        dns.stop();
        problems.push(
          `port ${port}: ${(err as Error).message}${stderr ? ` (${stderr.trim()})` : ''}`,
        );
      }
    }
    throw new Error(`dnsmasq would not start: ${problems.join('; ')}`);
  }

  /** A resolver asking only this server, for `GossipOptions.resolver`. */
  resolver(): Resolver {
    const resolver = new DnsResolver({ timeout: 500, tries: 2 });
    resolver.setServers([`127.0.0.1:${this.port}`]);
    return (host) => resolver.resolve4(host);
  }

  /** Replaces every record: `name -> IPv4 addresses` (none: the name does not exist). */
  async set(records: Record<string, string[]>): Promise<void> {
    const serial = ++this.serial;
    const lines = [`127.0.0.1 ${SENTINEL}`, `10.255.${serial >> 8}.${serial & 255} ${SENTINEL}`];
    for (const [name, ips] of Object.entries(records))
      for (const ip of ips) lines.push(`${ip} ${name}`);
    writeFileSync(join(this.dir, 'hosts'), lines.join('\n') + '\n');
    this.child.kill('SIGHUP');
    const marker = `10.255.${serial >> 8}.${serial & 255}`;
    await this.until((ips) => ips.includes(marker), SENTINEL);
  }

  stop(): void {
    this.child.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async until(ok: (ips: string[]) => boolean, name: string): Promise<void> {
    const resolve = this.resolver();
    const deadline = Date.now() + 5000;
    for (;;) {
      const ips = await resolve(name).catch(() => [] as string[]);
      if (ok(ips)) return;
      if (Date.now() > deadline) throw new Error(`dnsmasq did not answer ${name} as expected`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
