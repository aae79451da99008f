import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Container, Secret, Service } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { type Manifest, schemaErrors } from './support/manifest-schema';

const DIR = join(__dirname, '..', '..', 'deploy', 'kubernetes');
/** Not core Kubernetes kinds: checked by hand below. */
const CUSTOM_KINDS = new Set(['Kustomization', 'PodMonitor']);

function readManifests(): { file: string; doc: Manifest }[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      loadAll(readFileSync(join(DIR, file), 'utf8')).map((doc) => ({ file, doc: doc as Manifest })),
    );
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  const all = readManifests();
  const core = all.filter((m) => !CUSTOM_KINDS.has(m.doc.kind));
  const one = <T>(kind: string, name?: string): T => {
    const found = all.filter(
      (m) => m.doc.kind === kind && (name === undefined || m.doc.metadata.name === name),
    );
    expect(found).toHaveLength(1);
    return found[0].doc as unknown as T;
  };
  const deployment = one<Deployment>('Deployment');
  const pod = deployment.spec!.template;
  const app = pod.spec!.containers[0];
  const env = (name: string) => app.env?.find((e) => e.name === name);
  const headless = one<Service>('Service', 'my-service-gossip');

  it('match the Kubernetes API schema (kubernetes-types, checked by TypeScript)', () => {
    expect(core.map((m) => m.doc.kind).sort()).toEqual([
      'Deployment',
      'Namespace',
      'PodDisruptionBudget',
      'Secret',
      'Service',
      'Service',
    ]);
    expect(schemaErrors(core)).toEqual([]);
  }, 30_000);

  it('the schema check catches a misspelt field, a wrong type and a missing one', () => {
    const broken = (change: (c: Container & Record<string, unknown>) => void): string => {
      const copy = JSON.parse(JSON.stringify(deployment)) as Manifest & Deployment;
      change(copy.spec!.template.spec!.containers[0] as Container & Record<string, unknown>);
      return schemaErrors([{ file: 'broken.yaml', doc: copy }]).join('\n');
    };
    expect(broken((c) => (c.readinesProbe = c.readinessProbe))).toMatch(
      /broken.yaml Deployment\/my-service: .*readinesProbe.* does not exist in type 'Container'/,
    );
    expect(
      broken((c) => ((c.ports![0] as { containerPort: unknown }).containerPort = 'http')),
    ).toMatch(/'string' is not assignable to type 'number'/);
    expect(broken((c) => delete (c as { name?: string }).name)).toMatch(/'name' is missing/);
  }, 30_000);

  it('a headless Service gives every pod an A record, ready or not, on the gossip port (UDP and TCP)', () => {
    expect(headless.spec!.clusterIP).toBe('None');
    // Pods are ready only after joining, so they must be found before they are ready.
    expect(headless.spec!.publishNotReadyAddresses).toBe(true);
    expect(headless.spec!.selector).toEqual(deployment.spec!.selector.matchLabels);
    expect(headless.spec!.ports!.map((p) => [p.protocol, p.port]).sort()).toEqual([
      ['TCP', 7946],
      ['UDP', 7946],
    ]);
    const named = new Map(app.ports!.map((p) => [p.name, p]));
    for (const port of headless.spec!.ports!) {
      const target = named.get(String(port.targetPort));
      expect(target).toMatchObject({ containerPort: port.port, protocol: port.protocol });
    }
    expect(env('GOSSIP_BIND_ADDR')?.value).toBe('0.0.0.0:7946');
    expect(env('GOSSIP_ADVERTISE_ADDR')?.value).toBe('$(POD_IP):7946');
    expect(env('POD_IP')?.valueFrom?.fieldRef?.fieldPath).toBe('status.podIP');
    const { name, namespace } = headless.metadata!;
    expect(env('GOSSIP_JOIN')?.value).toBe(`${name}.${namespace}.svc.cluster.local:7946`);
  });

  it('pod labels match every selector; Prometheus finds /metrics on the http port', () => {
    const labels = pod.metadata!.labels!;
    for (const s of all.filter((m) => m.doc.kind === 'Service'))
      expect(labels).toMatchObject((s.doc as unknown as Service).spec!.selector!);
    expect(labels).toMatchObject(
      one<PodDisruptionBudget>('PodDisruptionBudget').spec!.selector!.matchLabels!,
    );
    const http = app.ports!.find((p) => p.name === 'http')!;
    expect(pod.metadata!.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(http.containerPort),
      'prometheus.io/path': '/metrics',
    });
    const monitor = one<{
      spec: {
        selector: { matchLabels: object };
        podMetricsEndpoints: { port: string; path: string }[];
      };
    }>('PodMonitor');
    expect(labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.podMetricsEndpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
  });

  it('ready from the health indicator; leaves before it dies; the key comes from a Secret', () => {
    expect(app.readinessProbe?.httpGet).toMatchObject({ path: '/health', port: 'http' });
    // preStop waits for endpoints to drop the pod; SIGTERM then runs the leave (bounded).
    const preStop = app.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(preStop).toBeGreaterThan(0);
    const leaveSeconds = Number(env('GOSSIP_LEAVE_TIMEOUT')?.value) / 1000;
    expect(leaveSeconds).toBeGreaterThan(0);
    expect(pod.spec!.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      preStop + leaveSeconds + 5,
    );
    // A rolling update never takes a pod away before its replacement joined.
    expect(deployment.spec!.strategy?.rollingUpdate?.maxUnavailable).toBe(0);

    const ref = env('GOSSIP_SECRET_KEYS')?.valueFrom?.secretKeyRef;
    expect(ref).toBeDefined();
    const secret = one<Secret>('Secret', ref!.name);
    expect(Object.keys(secret.stringData ?? secret.data ?? {})).toContain(ref!.key);
    expect(app.env!.filter((e) => /KEY/.test(e.name) && e.value !== undefined)).toEqual([]);
  });

  it('kustomization.yaml applies every core manifest', () => {
    const kustomization = one<{ resources: string[] }>('Kustomization');
    expect([...kustomization.resources].sort()).toEqual(
      [...new Set(core.map((m) => m.file))].sort(),
    );
  });
});
