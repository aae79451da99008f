import { execFileSync } from 'node:child_process';
import { NodeProcess } from '../support/node-process';
import { waitFor } from '../support/wait';

/**
 * Several hosts for real: one network namespace per node, joined by a
 * bridge that lives in a namespace of its own, so nothing is created in the
 * host's namespace and all traffic stays inside these namespaces (addresses
 * 10.213.0.0/24 exist only there). Packet loss with iptables' statistic
 * match, link cuts with `ip link set down`. Needs root and a kernel that
 * allows network namespaces; skipped with the reason printed where it is
 * refused. Debian packages: iproute2, iptables.
 */

const PREFIX = 'gspsec';
const RUN = `${PREFIX}${process.pid}`;
const BRIDGE_NS = `${RUN}-br`;
const NODES = 4;
const PORT = 7946;
const INTERVAL = 100;
const nodeNs = (i: number) => `${RUN}-n${i}`;
const nodeIp = (i: number) => `10.213.0.${10 + i}`;
const nodeId = (i: number) => `host-${i}`;

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const ip = (...args: string[]) => run('ip', args);
const inNs = (ns: string, command: string, ...args: string[]) =>
  run('ip', ['netns', 'exec', ns, command, ...args]);

/** Why this machine cannot run the test, or undefined when it can. */
function refusal(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: creating network namespaces needs root';
  const probe = `${RUN}-probe`;
  try {
    ip('netns', 'add', probe);
  } catch (err) {
    return `the kernel refused "ip netns add": ${(err as { stderr?: string }).stderr ?? err}`;
  } finally {
    try {
      ip('netns', 'del', probe);
    } catch {
      // it was never created
    }
  }
  return undefined;
}

/** True while the process that made namespaces `${PREFIX}<pid>-*` still runs (another run of this test). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes this run's namespaces, or with `leftovers` those of earlier runs
 * whose process died before cleaning up, and whatever still runs in them.
 */
function removeNamespaces(leftovers: boolean): void {
  const ours = new RegExp(`^${PREFIX}(\\d+)-`);
  let names: string[];
  try {
    names = ip('netns', 'list')
      .split('\n')
      .map((line) => line.split(' ')[0])
      .filter((name) => {
        const owner = ours.exec(name);
        if (!owner) return false;
        return leftovers ? !running(Number(owner[1])) : name.startsWith(`${RUN}-`);
      });
  } catch {
    return;
  }
  for (const name of names) {
    try {
      for (const pid of ip('netns', 'pids', name).split('\n').filter(Boolean))
        process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
    try {
      ip('netns', 'del', name);
    } catch {
      // gone already
    }
  }
}

/** One node per namespace, bound to the namespace's address; all but the first join the first. */
class HostNode extends NodeProcess {
  constructor(readonly index: number) {
    super(
      nodeId(index),
      `${nodeIp(index)}:${PORT}`,
      index === 0 ? '-' : `${nodeIp(0)}:${PORT}`,
      INTERVAL,
      { via: ['ip', 'netns', 'exec', nodeNs(index)] },
    );
  }
}

const why = refusal();
if (why) console.warn(`multi-host test skipped: ${why}`);
const describeHosts = why ? describe.skip : describe;

describeHosts(`multi-host: ${NODES} network namespaces on a bridge`, () => {
  const hosts: HostNode[] = [];
  jest.setTimeout(90_000);

  beforeAll(() => {
    removeNamespaces(true); // leftovers of earlier runs that died before cleaning up
    run('iptables', ['--version']); // fails clearly when the iptables package is missing
    ip('netns', 'add', BRIDGE_NS);
    ip('-n', BRIDGE_NS, 'link', 'set', 'lo', 'up');
    ip('-n', BRIDGE_NS, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', BRIDGE_NS, 'link', 'set', 'br0', 'up');
    for (let i = 0; i < NODES; i++) {
      const ns = nodeNs(i);
      ip('netns', 'add', ns);
      ip(
        '-n',
        BRIDGE_NS,
        'link',
        'add',
        `v${i}`,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ns,
      );
      ip('-n', BRIDGE_NS, 'link', 'set', `v${i}`, 'master', 'br0', 'up');
      ip('-n', ns, 'addr', 'add', `${nodeIp(i)}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
  });

  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
    removeNamespaces(false);
  });

  it('converges, survives 20% loss, detects a cut link and recovers', async () => {
    const ids = Array.from({ length: NODES }, (_, i) => nodeId(i));
    const figures: string[] = [];
    const everyone = () => hosts;
    const detail = () =>
      hosts
        .map(
          (h) =>
            `${nodeId(h.index)} live=${h.status?.live.join(',')} unreachable=${h.status?.unreachable.join(',')}` +
            (h.errors() ? ` stderr=${h.errors().slice(0, 300)}` : ''),
        )
        .join('; ');
    const allHold = (owner: number, key: string, value: string) =>
      everyone().every((h) => h.index === owner || h.value(nodeId(owner), key) === value);

    // 1. Start one node per namespace; all join the first.
    for (let i = 0; i < NODES; i++) hosts.push(new HostNode(i));
    await waitFor(() => hosts.every((h) => h.ready), 'every node to start', 30_000, { detail });
    const started = Date.now();
    await waitFor(
      () => hosts.every((h) => h.index === 0 || h.joined),
      'every node to join',
      15_000,
      { detail },
    );
    for (const h of hosts) h.upsert('hello', `from-${h.index}`);
    await waitFor(
      () =>
        hosts.every((h) => h.sees(ids)) &&
        hosts.every((h) => allHold(h.index, 'hello', `from-${h.index}`)),
      'all nodes to see each other and hold every hello',
      15_000,
      { detail },
    );
    figures.push(`converged ${Date.now() - started} ms after the nodes were up`);

    // 2. Drop 20% of packets arriving in every namespace; updates still converge.
    for (let i = 0; i < NODES; i++) {
      inNs(
        nodeNs(i),
        'iptables',
        '-A',
        'INPUT',
        '-m',
        'statistic',
        '--mode',
        'random',
        '--probability',
        '0.2',
        '-j',
        'DROP',
      );
    }
    let t = Date.now();
    const lossRounds: number[] = [];
    for (let round = 1; round <= 8; round++) {
      const roundStart = Date.now();
      for (const h of hosts) h.upsert('lossy', `${round}-${h.index}`);
      await waitFor(
        () => hosts.every((h) => allHold(h.index, 'lossy', `${round}-${h.index}`)),
        `round ${round} of updates to converge under 20% loss`,
        15_000,
        { detail },
      );
      lossRounds.push(Date.now() - roundStart);
    }
    expect(hosts.every((h) => h.sees(ids))).toBe(true);
    figures.push(
      `8 rounds of updates converged under 20% loss in ${Date.now() - t} ms (slowest ${Math.max(...lossRounds)} ms)`,
    );
    // The rule did drop packets (first column of its counters).
    let dropped = 0;
    for (let i = 0; i < NODES; i++) {
      const rule = inNs(nodeNs(i), 'iptables', '-L', 'INPUT', '-v', '-n', '-x')
        .split('\n')
        .find((line) => line.includes('DROP'));
      dropped += Number(rule?.trim().split(/\s+/)[0] ?? 0);
      inNs(nodeNs(i), 'iptables', '-F', 'INPUT');
    }
    expect(dropped).toBeGreaterThan(0);
    figures[figures.length - 1] += ` (${dropped} packets dropped)`;

    // 3. Cut the last node's link: each side suspects the other.
    const cut = NODES - 1;
    const rest = hosts.filter((h) => h.index !== cut);
    ip('-n', BRIDGE_NS, 'link', 'set', `v${cut}`, 'down');
    t = Date.now();
    await waitFor(
      () =>
        rest.every((h) => h.suspects(nodeId(cut))) &&
        rest.every((h) => hosts[cut].suspects(nodeId(h.index))),
      'both sides of the cut to suspect each other',
      20_000,
      { detail },
    );
    figures.push(`cut detected on both sides in ${Date.now() - t} ms`);
    hosts[0].upsert('during-cut', 'majority');
    hosts[cut].upsert('during-cut', 'minority');
    // The majority keeps gossiping among itself.
    await waitFor(
      () => rest.every((h) => h.index === 0 || h.value(nodeId(0), 'during-cut') === 'majority'),
      'the majority to spread its update',
      10_000,
      { detail },
    );
    expect(rest.every((h) => h.sees(ids.filter((id) => id !== nodeId(cut))))).toBe(true);

    // 4. Heal: everyone is reachable again and the updates made apart meet.
    ip('-n', BRIDGE_NS, 'link', 'set', `v${cut}`, 'up');
    t = Date.now();
    await waitFor(
      () =>
        hosts.every((h) => h.sees(ids)) &&
        allHold(0, 'during-cut', 'majority') &&
        allHold(cut, 'during-cut', 'minority'),
      'the cluster to recover after the link came back',
      20_000,
      { detail },
    );
    figures.push(`recovered ${Date.now() - t} ms after the link came back`);
    console.log(`multi-host (${NODES} namespaces, interval ${INTERVAL} ms): ${figures.join('; ')}`);
  });
});
