import { Gossip, type GossipEvent } from '../../lib/engine';

describe('Gossip.subscribe', () => {
  let gossip: Gossip;
  const errors: string[] = [];
  const watched: string[] = [];

  beforeEach(async () => {
    errors.length = 0;
    watched.length = 0;
    gossip = await Gossip.create({
      bindAddr: '127.0.0.1:0',
      nodeId: 'self',
      logger: { debug: () => undefined, warn: () => undefined, error: (m) => errors.push(m) },
      watcher: { onUpsertKey: (id, key) => watched.push(`${id} ${key}`) },
    });
  });
  afterEach(() => gossip.close());

  it('echoes local writes as local events, which the Watcher does not get', () => {
    const seen: GossipEvent[] = [];
    gossip.subscribe((e) => seen.push(e));
    gossip.upsertLocal('role', 'api');
    gossip.upsertLocal('role', 'api'); // unchanged: no event
    gossip.deleteLocal('role');
    gossip.deleteLocal('role'); // already deleted: no event
    expect(seen).toEqual([
      { type: 'upsert-key', nodeId: 'self', key: 'role', value: 'api', local: true },
      { type: 'delete-key', nodeId: 'self', key: 'role', local: true },
    ]);
    expect(watched).toEqual([]);
  });

  it('logs a listener that throws, still calls the others, and stops after unsubscribe', () => {
    const seen: string[] = [];
    gossip.subscribe(() => {
      throw new Error('boom');
    });
    const stop = gossip.subscribe((e) => seen.push(e.type));
    gossip.upsertLocal('a', '1');
    expect(seen).toEqual(['upsert-key']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/listener threw on 'upsert-key'.*boom/s);
    stop();
    gossip.upsertLocal('a', '2');
    expect(seen).toEqual(['upsert-key']);
  });
});
