import request from 'supertest';
import { GossipService } from '../../lib';
import { GossipClients } from '../../lib/nest/microservices';
import { startCluster, stopCluster, type RunningNode } from '../../sample/cluster';
import type { WorkResult } from '../../sample/forwarding.controller';
import { waitFor } from '../support/wait';

jest.setTimeout(60_000);

const RETRY_DELAY = 100;

interface Outcome {
  startedAt: number;
  doneAt: number;
  attempts: number;
  result: WorkResult;
}

/** One logical request: GET /work/:key on `entry`, retried on 503 until it is served. */
async function requestWithRetry(entry: RunningNode, key: string): Promise<Outcome> {
  const startedAt = Date.now();
  for (let attempts = 1; ; attempts++) {
    const res = await request(entry.http).get(`/work/${key}`);
    if (res.status === 200) {
      return { startedAt, doneAt: Date.now(), attempts, result: res.body as WorkResult };
    }
    expect(res.status).toBe(503);
    if (Date.now() - startedAt > 20_000) throw new Error(`request for ${key} never served`);
    await new Promise((r) => setTimeout(r, RETRY_DELAY));
  }
}

/**
 * The sample's forwarding: every node accepts GET /work/:key and forwards it
 * over the microservice TCP transport to the key's owner. Kill the owner
 * (no leave): requests fail with 503 until the failure detector suspects it,
 * then the new owner serves them; a client that retries loses nothing.
 */
describe('sample: forwarding to the key owner over TCP', () => {
  let nodes: RunningNode[] = [];
  let sending = true;
  let loops: Array<Promise<void>> = [];
  afterAll(async () => {
    sending = false;
    await Promise.allSettled(loops);
    await stopCluster(nodes);
  });

  it('forwards to the owner, and to the new owner after the owner is killed', async () => {
    nodes = await startCluster({ nodes: 3, gossipPort: 0, httpPort: 0, interval: 100 });
    const clients = nodes.map((n) => n.app.get(GossipClients));
    await waitFor(
      () => clients.every((c) => nodes.every((n) => c.addressOf(n.config.id) === n.rpc)),
      'every node knows every rpc address',
    );
    const [entry1, entry2, victim] = nodes;
    const victimId = victim.config.id;
    const key = Array.from({ length: 100 }, (_, i) => `order-${i}`).find(
      (k) => clients[0].owner(k) === victimId,
    ) as string;

    // Before: both entry nodes forward to the same owner; the owner serves its own key too.
    for (const entry of nodes) {
      const res = await request(entry.http).get(`/work/${key}`).expect(200);
      expect(res.body).toEqual({ key, servedBy: victimId, via: entry.config.id });
    }
    expect(clients[0].openClients()).toEqual([victimId]);

    // Keep two clients sending, through node-1 and node-2, each retrying on 503.
    const outcomes: Outcome[] = [];
    const loop = async (entry: RunningNode) => {
      while (sending) outcomes.push(await requestWithRetry(entry, key));
    };
    loops = [loop(entry1), loop(entry2)];
    await new Promise((r) => setTimeout(r, 300));

    // Kill the owner: its TCP server and gossip sockets close, no leave.
    const killedAt = Date.now();
    await victim.crash();
    const detected = await waitFor(
      () =>
        [entry1, entry2].every((e) =>
          e.app.get(GossipService).node(victimId)?.unreachable ? true : false,
        )
          ? Date.now()
          : 0,
      'the entry nodes suspect the killed owner',
      10_000,
      { every: 5 },
    );
    const newOwner = clients[0].owner(key);
    expect(newOwner).not.toBe(victimId);
    expect(clients[1].owner(key)).toBe(newOwner);
    await waitFor(
      () => outcomes.some((o) => o.startedAt > detected + RETRY_DELAY),
      'requests after detection',
    );
    sending = false;
    await Promise.all(loops);

    const afterKill = outcomes.filter((o) => o.doneAt > killedAt);
    const firstByNewOwner = afterKill.find((o) => o.result.servedBy === newOwner);
    const detectionMs = detected - killedAt;
    const servedMs = (firstByNewOwner?.doneAt ?? Infinity) - killedAt;
    const retried = afterKill.filter((o) => o.attempts > 1);
    console.log(
      `forwarding: owner killed; both entry nodes suspected it after ${detectionMs} ms; ` +
        `first request served by the new owner ${newOwner} after ${servedMs} ms; ` +
        `${outcomes.length} requests, ${retried.length} needed retries ` +
        `(max ${Math.max(...outcomes.map((o) => o.attempts))} attempts), none lost`,
    );
    // Served by the new owner within detection time plus one retry (and a little scheduling slack).
    expect(servedMs).toBeLessThanOrEqual(detectionMs + RETRY_DELAY + 250);
    // Nothing lost: every request was eventually served, each by the owner of its time.
    expect(outcomes.every((o) => o.result.key === key)).toBe(true);
    expect(outcomes.every((o) => [victimId, newOwner].includes(o.result.servedBy))).toBe(true);
    // No request finished at the killed node after it was killed; after detection only the new owner serves.
    expect(
      outcomes.filter((o) => o.startedAt > killedAt && o.result.servedBy === victimId),
    ).toEqual([]);
    expect(
      outcomes.filter((o) => o.startedAt > detected && o.result.servedBy !== newOwner),
    ).toEqual([]);
    // The killed node's client was closed on 'unreachable'.
    expect(clients[0].openClients()).not.toContain(victimId);
  });
});
