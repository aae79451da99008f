import { spawnSync } from 'node:child_process';
import { Resolver as DnsResolver } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resolver } from '../../lib/engine';
import { Child } from './child';
import { waitFor } from './wait';

/** Always answered, so a start (or a reload) can be seen to have happened. */
const SENTINEL = 'dnsmasq.sentinel.test';

/**
 * A dnsmasq on 127.0.0.1 serving A records (name -> IPv4 addresses) and
 * nothing else. `set` replaces them while it runs, as a headless Service's
 * change when pods come and go: it rewrites the hosts file and sends SIGHUP,
 * which makes dnsmasq read it again (and drop its cache).
 * dnsmasq comes from Debian's dnsmasq-base; scripts/setup.sh installs it.
 */
export class LoopbackDns {
  private serial = 0;

  private constructor(
    private readonly child: Child,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static available(): boolean {
    return spawnSync('dnsmasq', ['--version']).status === 0;
  }

  static async start(records: Record<string, string[]> = {}): Promise<LoopbackDns> {
    // A random port can be taken, or a start can stall on a busy machine: try a few.
    const problems: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'gossip-dns-'));
      const port = 20000 + Math.floor(Math.random() * 20000);
      const child = new Child('dnsmasq', [
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
      ]);
      const dns = new LoopbackDns(child, dir, port);
      try {
        // Written before dnsmasq reads it; no SIGHUP yet, which would end dnsmasq before its handler is up.
        await dns.served(dns.write(records));
        return dns;
      } catch (err) {
        dns.stop();
        problems.push(
          `port ${port}: ${(err as Error).message}${child.errors() ? ` (${child.errors().trim()})` : ''}`,
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
    const serial = this.write(records);
    this.child.signal('SIGHUP');
    await this.served(serial);
  }

  /** Writes the hosts file, numbered by a marker address of the sentinel name; returns the number. */
  private write(records: Record<string, string[]>): number {
    const serial = ++this.serial;
    const lines = [`127.0.0.1 ${SENTINEL}`, `${marker(serial)} ${SENTINEL}`];
    for (const [name, ips] of Object.entries(records))
      for (const ip of ips) lines.push(`${ip} ${name}`);
    writeFileSync(join(this.dir, 'hosts'), lines.join('\n') + '\n');
    return serial;
  }

  /** Resolves once dnsmasq answers from hosts file number `serial`. */
  private async served(serial: number): Promise<void> {
    const resolve = this.resolver();
    await waitFor(
      async () => (await resolve(SENTINEL).catch(() => [] as string[])).includes(marker(serial)),
      `dnsmasq on port ${this.port} to serve record set ${serial}`,
      5000,
      { every: 20 },
    );
  }

  stop(): void {
    this.child.signal('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function marker(serial: number): string {
  return `10.255.${serial >> 8}.${serial & 255}`;
}
