import { Controller, Get, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import request from 'supertest';
import { OnGossipEvent, type GossipEvent, type GossipService } from '../../lib';
import { GossipHealthIndicator } from '../../lib/nest/health';
import { gossipApp } from './helpers';
import { waitFor } from '../support/wait';

@Controller('health')
class HealthController {
  readonly joins: string[] = [];

  constructor(
    private readonly health: HealthCheckService,
    private readonly gossip: GossipHealthIndicator,
  ) {}

  /** Controllers handle gossip events too. */
  @OnGossipEvent('join')
  onJoin(event: GossipEvent): void {
    this.joins.push(event.nodeId);
  }

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.gossip.isHealthy('gossip', { minMembers: 2 })]);
  }
}

/** Sum of a counter's samples for one node, from the Prometheus text format. */
function counter(text: string, name: string, nodeId: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(`local_node_id="${nodeId}"`)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

describe('HTTP surface: controller, /metrics, health', () => {
  let a: { app: INestApplication; gossip: GossipService };
  let b: { app: INestApplication; gossip: GossipService } | undefined;

  beforeAll(async () => {
    a = await gossipApp(
      { nodeId: 'http-a', controller: true },
      {
        imports: [
          PrometheusModule.register({ defaultMetrics: { enabled: false } }),
          TerminusModule,
        ],
        controllers: [HealthController],
        providers: [GossipHealthIndicator],
      },
    );
    b = await gossipApp({
      nodeId: 'http-b',
      join: [a.gossip.localNode().addr],
      controller: { path: '/cluster/' },
    });
    b.gossip.upsertLocal('http', 'http://127.0.0.1:3000');
    await waitFor(
      () => a.gossip.node('http-b')?.entries.some((e) => e.key === 'http'),
      'b state at a',
    );
    await waitFor(() => a.app.get(HealthController).joins.includes('http-b'), 'controller handler');
  });

  afterAll(async () => {
    await b?.app.close();
    await a.app.close();
  });

  it('GET /gossip/nodes lists every node as JSON', async () => {
    const res = await request(a.app.getHttpServer()).get('/gossip/nodes').expect(200);
    expect(res.headers['content-type']).toMatch(/json/);
    const ids = (res.body as { id: string }[]).map((n) => n.id).sort();
    expect(ids).toEqual(['http-a', 'http-b']);
    expect(res.body[0]).toEqual(
      expect.objectContaining({ addr: expect.any(String), left: false, unreachable: false }),
    );
  });

  it('GET /gossip/nodes/:id returns the node with its entries, 404 when unknown', async () => {
    const res = await request(a.app.getHttpServer()).get('/gossip/nodes/http-b').expect(200);
    expect(res.body).toMatchObject({
      id: 'http-b',
      entries: [
        expect.objectContaining({ key: 'http', value: 'http://127.0.0.1:3000', deleted: false }),
      ],
    });
    const missing = await request(a.app.getHttpServer()).get('/gossip/nodes/nobody').expect(404);
    expect(missing.body.message).toContain('nobody');
  });

  it('GET /gossip/local returns this node; a custom path mounts elsewhere', async () => {
    const local = await request(a.app.getHttpServer()).get('/gossip/local').expect(200);
    expect(local.body).toMatchObject({ id: 'http-a', addr: a.gossip.localNode().addr });
    const server = (b as { app: INestApplication }).app.getHttpServer();
    await request(server)
      .get('/cluster/local')
      .expect(200, /"id":"http-b"/);
    await request(server).get('/gossip/local').expect(404);
  });

  it('is not mounted without `controller`', async () => {
    const c = await gossipApp({ nodeId: 'no-controller' });
    await request(c.app.getHttpServer()).get('/gossip/nodes').expect(404);
    await c.app.close();
  });

  it('/metrics of @willsoto/nestjs-prometheus shows gossip_ counters that grow', async () => {
    const server = a.app.getHttpServer();
    const first = (await request(server).get('/metrics').expect(200)).text;
    expect(first).toContain('# TYPE gossip_packet_bytes_inbound_total counter');
    expect(first).toMatch(/gossip_nodes\{local_node_id="http-a",status="live"\} 2/);
    const before = counter(first, 'gossip_packets_outbound_total', 'http-a');
    expect(before).toBeGreaterThan(0);
    const later = await waitFor(async () => {
      const text = (await request(server).get('/metrics')).text;
      return counter(text, 'gossip_packets_outbound_total', 'http-a') > before ? text : undefined;
    }, 'counters to grow');
    expect(counter(later, 'gossip_packet_bytes_inbound_total', 'http-a')).toBeGreaterThan(
      counter(first, 'gossip_packet_bytes_inbound_total', 'http-a'),
    );
  });

  it('health is up with member counts, then down once the peer is gone and after close', async () => {
    const server = a.app.getHttpServer();
    const up = await request(server).get('/health').expect(200);
    expect(up.body.info.gossip).toEqual({
      status: 'up',
      nodeId: 'http-a',
      gossip: 'joined',
      members: 2,
      unreachable: 0,
      left: 0,
    });
    await b?.app.close();
    b = undefined;
    // One member left: below minMembers.
    const down = await request(server).get('/health').expect(503);
    expect(down.body.error.gossip).toMatchObject({ status: 'down', members: 1, left: 1 });

    const indicator = a.app.get(GossipHealthIndicator);
    await a.gossip.close();
    expect(indicator.isHealthy('gossip')).toEqual({
      gossip: { status: 'down', nodeId: 'http-a', gossip: 'closed' },
    });
  });
});
