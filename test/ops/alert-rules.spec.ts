import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { exportedMetricNames, gossipMetricsIn } from './support/exported-metrics';

const DIR = join(__dirname, '..', '..', 'deploy', 'prometheus');

function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('promtool', args, { cwd: DIR, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, out: stdout + stderr });
    });
  });
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; expr: string }[] }[];
}

// promtool comes with Debian's prometheus package; scripts/setup.sh installs it.
describe('Prometheus alert rules (deploy/prometheus)', () => {
  const rules = (load(readFileSync(join(DIR, 'gossip-alerts.yml'), 'utf8')) as RuleFile).groups
    .flatMap((g) => g.rules)
    .filter((r) => r.alert);

  it('has the four alerts the operators asked for', () => {
    expect(rules.map((r) => r.alert)).toEqual([
      'GossipNodeUnreachable',
      'GossipMembershipSmallerThanExpected',
      'GossipRejectedPacketsRising',
      'GossipRoundDurationHigh',
    ]);
  });

  it('pass `promtool check` and `promtool test rules`', async () => {
    const check = await promtool('check', 'rules', 'gossip-alerts.yml');
    expect(check.out).toContain('SUCCESS: 4 rules found');
    expect(check.code).toBe(0);
    const config = await promtool('check', 'config', 'prometheus.yml');
    expect(config.code).toBe(0);
    const test = await promtool('test', 'rules', 'gossip-alerts.test.yml');
    console.log(`promtool test rules gossip-alerts.test.yml\n${test.out}`);
    expect(test.out).toContain('SUCCESS');
    expect(test.code).toBe(0);
  });

  it('read only metrics a node exports', async () => {
    const exported = await exportedMetricNames();
    for (const rule of rules) {
      const used = gossipMetricsIn(rule.expr);
      expect(used.length).toBeGreaterThan(0);
      expect(used.filter((name) => !exported.has(name))).toEqual([]);
    }
  });
});
