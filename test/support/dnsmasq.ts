import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Resolver as DnsResolver } from 'node:dns/promises';
import type { Resolver } from '../../lib/engine';
import { waitFor } from './wait';

/** A dnsmasq serving `records` (name -> IPv4 addresses) on 127.0.0.1:`port`, nothing else. */
export class LoopbackDns {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static available(): boolean {
    return spawnSync('dnsmasq', ['--version']).status === 0;
  }

  static async start(records: Record<string, string[]>): Promise<LoopbackDns> {
    // A random port can be taken, or a start can stall on a busy machine: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const args = [
        '--keep-in-foreground',
        `--port=${port}`,
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        '--no-poll',
        '--conf-file=/dev/null',
        '--pid-file=',
        '--user=root',
        ...Object.entries(records).flatMap(([name, ips]) =>
          ips.map((ip) => `--host-record=${name},${ip}`),
        ),
      ];
      const child = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const dns = new LoopbackDns(child, port);
      const [name] = Object.keys(records);
      try {
        await waitFor(
          async () =>
            (
              await dns
                .resolver()(name)
                .catch(() => [])
            ).length > 0,
          'dnsmasq to answer',
          5000,
        );
        return dns;
      } catch (err) {
        child.kill('SIGTERM');
        if (attempt >= 3) throw err;
      }
    }
  }

  /** A resolver that asks only this server. */
  resolver(): Resolver {
    const resolver = new DnsResolver({ timeout: 500, tries: 2 });
    resolver.setServers([`127.0.0.1:${this.port}`]);
    return (host) => resolver.resolve4(host);
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}
