import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { load } from 'js-yaml';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Container } from 'kubernetes-types/core/v1';
import request from 'supertest';
import { GossipModule, type GossipModuleOptions, GossipService } from '../../lib';
import type { Resolver } from '../../lib/engine';
import { GossipHealthIndicator } from '../../lib/nest/health';
import { gossipOptionsFromEnv } from '../../sample/gossip-env';
import { HealthController } from '../../sample/health.controller';
import { LoopbackDns } from '../support/dnsmasq';
import { waitFor } from '../support/wait';

jest.setTimeout(60_000);

const deployment = load(
  readFileSync(join(__dirname, '..', '..', 'deploy', 'kubernetes', 'deployment.yaml'), 'utf8'),
) as Deployment;
const container = deployment.spec!.template.spec!.containers[0];
const JOIN_NAME = 'my-service-gossip.gossip-demo.svc.cluster.local';

/** The container's environment as the kubelet would build it for one pod. */
function podEnv(c: Container, pod: { name: string; ip: string }, secret: string) {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined)
      env[e.name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) => env[v] ?? m);
    else if (e.valueFrom?.fieldRef)
      env[e.name] = { 'metadata.name': pod.name, 'status.podIP': pod.ip }[
        e.valueFrom.fieldRef.fieldPath
      ]!;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = secret;
  }
  return env;
}

@Module({})
class PodModule {
  /** What a service built per docs/kubernetes.md runs: the module from env, /health. */
  static register(options: GossipModuleOptions, resolver: Resolver): DynamicModule {
    return {
      module: PodModule,
      imports: [
        GossipModule.forRoot({
          ...options,
          // A test hook (the fake DNS): at run time it reaches the engine, but
          // the module's option type leaves test hooks out, hence the spread.
          ...{ resolver },
          // Loopback time scale: rounds and join retries faster than in a cluster.
          interval: 50,
          joinAttempts: 2,
          joinBackoff: 100,
          joinMaxBackoff: 300,
          metrics: false,
        }),
        TerminusModule,
      ],
      controllers: [HealthController],
      providers: [GossipHealthIndicator],
    };
  }
}

interface Pod {
  name: string;
  ip: string;
  app: INestApplication;
  gossip: GossipService;
}

// dnsmasq comes from Debian's dnsmasq-base; scripts/setup.sh installs it.
describe('the headless Service DNS name as pods come and go (dnsmasq on 127.0.0.1)', () => {
  let dns: LoopbackDns;
  const pods: Pod[] = [];
  const secret = randomBytes(32).toString('base64');
  let port = 0;

  async function startPod(name: string, ip: string): Promise<Pod> {
    const env = podEnv(container, { name, ip }, secret);
    // Our pods share one network namespace, so each binds its own IP (0.0.0.0 in a real pod),
    // on a free port instead of 7946, and looks the name up every 200 ms instead of 10 s.
    for (const key of ['GOSSIP_BIND_ADDR', 'GOSSIP_ADVERTISE_ADDR', 'GOSSIP_JOIN'])
      env[key] = env[key].replace(':7946', `:${port}`).replace('0.0.0.0', ip);
    env.GOSSIP_RESOLVE_INTERVAL = '200';
    const options = gossipOptionsFromEnv(env);
    expect(options).toMatchObject({
      nodeId: name,
      advertiseAddr: `${ip}:${port}`,
      join: [`${JOIN_NAME}:${port}`],
      secretKeys: [secret],
      leaveTimeout: 3000,
    });
    const app = await NestFactory.create(PodModule.register(options, dns.resolver()), {
      logger: false,
    });
    await app.init();
    const pod = { name, ip, app, gossip: app.get(GossipService) };
    pods.push(pod);
    return pod;
  }
  const ready = async (pod: Pod) =>
    (await request(pod.app.getHttpServer()).get('/health')).status === 200;
  const live = (pod: Pod) =>
    pod.gossip
      .nodes()
      .filter((n) => n.status === 'alive')
      .map((n) => n.id)
      .sort()
      .join();
  const records = (...ips: string[]) => dns.set({ [JOIN_NAME]: ips });

  beforeAll(async () => {
    dns = await LoopbackDns.start();
    port = 30000 + Math.floor(Math.random() * 20000);
  });
  afterAll(async () => {
    for (const pod of pods.reverse()) await pod.app.close().catch(() => undefined);
    dns?.stop();
  });

  it('first pod: not ready until its own record is published, then founds the cluster', async () => {
    await records(); // the Service has no endpoints yet: the name does not resolve
    const a = await startPod('my-service-a', '127.0.0.2');
    expect(a.gossip.status).toBe('joining');
    expect(await ready(a)).toBe(false);
    await records('127.0.0.2'); // publishNotReadyAddresses: listed before it is ready
    await waitFor(() => ready(a), 'pod a ready');
    expect(live(a)).toBe('my-service-a');
  });

  it('pods that start later find every pod through the name and become ready', async () => {
    await records('127.0.0.2', '127.0.0.3', '127.0.0.4');
    const [b, c] = await Promise.all([
      startPod('my-service-b', '127.0.0.3'),
      startPod('my-service-c', '127.0.0.4'),
    ]);
    const all = 'my-service-a,my-service-b,my-service-c';
    await waitFor(() => pods.every((p) => live(p) === all), 'three pods see three');
    expect(await ready(b)).toBe(true);
    expect(await ready(c)).toBe(true);
  });

  it('a terminated pod leaves (seen as left, not unreachable) and its replacement joins at a new IP', async () => {
    // By name: b and c started together, so `pods` holds them in the order they became ready.
    const [a, b, c] = ['a', 'b', 'c'].map((x) =>
      pods.find((p) => p.gossip.nodeId === `my-service-${x}`)!,
    );
    await records('127.0.0.2', '127.0.0.4'); // b's endpoint goes as it terminates
    await b.app.close(); // SIGTERM after preStop: Nest's shutdown hooks leave, then close
    pods.splice(pods.indexOf(b), 1);
    for (const p of [a, c]) {
      const seen = p.gossip.nodes().find((n) => n.id === 'my-service-b');
      expect(seen).toMatchObject({ left: true, unreachable: false });
    }
    await records('127.0.0.2', '127.0.0.4', '127.0.0.5');
    const d = await startPod('my-service-d', '127.0.0.5');
    const all = 'my-service-a,my-service-c,my-service-d';
    await waitFor(() => pods.every((p) => live(p) === all), 'a, c and d see each other');
    expect(await ready(d)).toBe(true);
  });

  it('a pod whose lookup listed only itself is merged in by re-resolution', async () => {
    // e's lookup races an endpoint update: the name lists e alone, so e founds a
    // cluster of its own. The next lookups (e's or the others') bring them together.
    await records('127.0.0.6');
    const e = await startPod('my-service-e', '127.0.0.6');
    expect(await ready(e)).toBe(true);
    await records('127.0.0.2', '127.0.0.4', '127.0.0.5', '127.0.0.6');
    const all = 'my-service-a,my-service-c,my-service-d,my-service-e';
    const started = Date.now();
    await waitFor(() => pods.every((p) => live(p) === all), 'one cluster of four');
    console.log(`re-resolution (every 200 ms) merged the stale pod in ${Date.now() - started} ms`);
  });
});
