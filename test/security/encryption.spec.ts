import { randomBytes } from 'node:crypto';
import { Gossip, GossipOptions } from '../../lib/engine';
import { MessageType, Outgoing } from '../../lib/engine/codec';
import { Keyring } from '../../lib/engine/codec/keyring';
import { Wire } from '../../lib/engine/codec/wire';
import { LoopbackCluster, valueAt, waitAllSee, waitValue } from '../support/cluster';
import { sleep, waitFor } from '../support/wait';
import { addrOf, frame, rawStream, sendDatagrams } from './support';

jest.setTimeout(60_000);

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const limits = { maxKeySize: 512, maxValueSize: 1 << 20, maxArrayLength: 1000 };

describe('sealed clusters', () => {
  const nodes = new LoopbackCluster();
  afterEach(() => nodes.closeAll());

  it('converge, with the key given as raw bytes, hex or base64', async () => {
    const a = await nodes.startEngine('sealed-a', { secretKeys: [k1] });
    const b = await nodes.startEngine('sealed-b', { secretKeys: [k1.toString('hex')] });
    const c = await nodes.startEngine('sealed-c', { secretKeys: [k1.toString('base64')] });
    expect(await b.join([addrOf(a)])).toEqual(['sealed-a']);
    expect(await c.join([addrOf(b)])).toEqual(['sealed-b']);
    await waitAllSee([a, b, c], ['sealed-a', 'sealed-b', 'sealed-c'], 'three sealed nodes');
    a.upsertLocal('secret', 'x'.repeat(5000)); // over a packet: travels by stream too
    await waitValue([b, c], 'sealed-a', 'secret', 'x'.repeat(5000));
    for (const g of [a, b, c]) {
      for (const reason of ['auth', 'unsealed', 'sealed', 'decode'])
        expect(await g.metrics.rejectedCount(reason)).toBe(0);
    }
  });

  it('refuse a node with the wrong key, over TCP and UDP, counted as auth', async () => {
    const a = await nodes.startEngine('key-a', { secretKeys: [k1] });
    const wrong = await nodes.startEngine('key-wrong', { secretKeys: [k2] });
    await expect(wrong.join([addrOf(a)])).rejects.toThrow(/refused.*\(auth\)/);
    expect(await a.metrics.rejectedCount('auth')).toBe(1);
    const forged = new Wire(new Keyring([k2]), limits).encode({
      type: MessageType.Syn,
      clusterId: 'default',
      from: 'key-wrong',
      partial: false,
      digest: [],
    });
    await sendDatagrams(addrOf(a), [forged]);
    await waitFor(
      async () => (await a.metrics.rejectedCount('auth')) === 2,
      'the datagram counted',
    );
    expect(a.node('key-wrong')).toBeUndefined();
    expect(wrong.node('key-a')).toBeUndefined();
  });

  it('refuse a message with any byte tampered with', async () => {
    const a = await nodes.startEngine('tamper-a', { secretKeys: [k1] });
    const wire = new Wire(new Keyring([k1]), limits);
    const genuine = wire.encode({
      type: MessageType.Syn,
      clusterId: 'default',
      from: 'tamper-b',
      partial: false,
      digest: [
        {
          id: 'tamper-b',
          addr: '127.0.0.1:9',
          generation: 1,
          heartbeat: 1,
          maxVersion: 0,
          left: false,
        },
      ],
    });
    // Past the two header bytes: nonce, ciphertext and tag.
    const tampered = [];
    for (let at = 2; at < genuine.length; at++) {
      const copy = Buffer.from(genuine);
      copy[at] ^= 0x01;
      tampered.push(copy);
    }
    await sendDatagrams(addrOf(a), tampered);
    await waitFor(
      async () => (await a.metrics.rejectedCount('auth')) === tampered.length,
      `${tampered.length} tampered datagrams counted as auth`,
    );
    // On a stream too.
    const sync = wire.encode({
      type: MessageType.Sync,
      clusterId: 'default',
      from: 'x',
      digest: [],
    });
    const copy = Buffer.from(sync);
    copy[copy.length - 1] ^= 0x80;
    const reply = await rawStream(addrOf(a), frame(copy));
    expect(reply.length).toBeGreaterThan(4); // a plain refusal saying why
    expect(await a.metrics.rejectedCount('auth')).toBe(tampered.length + 1);
    expect(a.node('tamper-b')).toBeUndefined();
  });

  it('and plain nodes refuse each other both ways, counted on each side', async () => {
    const sealed = await nodes.startEngine('mixed-sealed', { secretKeys: [k1] });
    const plain = await nodes.startEngine('mixed-plain');
    await expect(plain.join([addrOf(sealed)])).rejects.toThrow(/refused.*\(unsealed\)/);
    expect(await sealed.metrics.rejectedCount('unsealed')).toBe(1);
    await expect(sealed.join([addrOf(plain)])).rejects.toThrow(/refused.*\(sealed\)/);
    expect(await plain.metrics.rejectedCount('sealed')).toBe(1);
    // Datagrams too.
    const syn: Outgoing = {
      type: MessageType.Syn,
      clusterId: 'default',
      from: 'someone',
      partial: false,
      digest: [],
    };
    await sendDatagrams(addrOf(sealed), [new Wire(new Keyring([]), limits).encode(syn)]);
    await sendDatagrams(addrOf(plain), [new Wire(new Keyring([k1]), limits).encode(syn)]);
    await waitFor(
      async () =>
        (await sealed.metrics.rejectedCount('unsealed')) === 2 &&
        (await plain.metrics.rejectedCount('sealed')) === 2,
      'a datagram refused on each side',
    );
    expect(sealed.nodes()).toHaveLength(1);
    expect(plain.nodes()).toHaveLength(1);
  });
});

describe('key rotation across three nodes, restarting one at a time', () => {
  const nodes = new LoopbackCluster();
  afterAll(() => nodes.closeAll());

  it('moves from k1 to k2 with no lost update and no refusal', async () => {
    const ids = ['rot-0', 'rot-1', 'rot-2'];
    const cluster: Gossip[] = [];
    const start = (id: string, keys: Buffer[]) =>
      nodes.startEngine(id, { secretKeys: keys } satisfies Partial<GossipOptions>);
    for (const id of ids) {
      const g = await start(id, [k1]);
      if (cluster.length > 0) await g.join([addrOf(cluster[0])]);
      cluster.push(g);
    }
    await waitAllSee(cluster, ids, 'the cluster on k1');

    // Every node keeps writing while the others restart; every write must arrive.
    let seq = 0;
    const lastWritten = new Map<string, string>();
    const write = (g: Gossip) => {
      const value = String(++seq);
      g.upsertLocal('seq', value);
      lastWritten.set(g.nodeId, value);
    };
    let restarting: Gossip | undefined;
    const writer = setInterval(() => {
      for (const g of cluster) if (g !== restarting) write(g);
    }, 25);

    const steps: Buffer[][] = [
      [k1, k2], // add the new key second: everyone can read it, no one uses it yet
      [k2, k1], // move it first: nodes start sealing with it
      [k2], // drop the old
    ];
    const restarts: number[] = [];
    try {
      for (const keys of steps) {
        for (let i = 0; i < cluster.length; i++) {
          const old = cluster[i];
          for (const reason of ['auth', 'unsealed', 'sealed'])
            expect(await old.metrics.rejectedCount(reason)).toBe(0);
          const started = Date.now();
          restarting = old;
          await nodes.remove(old);
          const fresh = await start(ids[i], keys);
          cluster[i] = fresh;
          restarting = undefined;
          const peers = cluster.filter((g) => g !== fresh);
          expect((await fresh.join(peers.map(addrOf))).sort()).toEqual(
            peers.map((g) => g.nodeId).sort(),
          );
          write(fresh);
          // Everyone holds everyone's writes up to now, the restarted node's new ones included.
          const upTo = new Map(lastWritten);
          await waitFor(
            () =>
              cluster.every((viewer) =>
                cluster.every(
                  (owner) =>
                    viewer === owner ||
                    Number(valueAt(viewer, owner.nodeId, 'seq') ?? 0) >=
                      Number(upTo.get(owner.nodeId) ?? 0),
                ),
              ),
            `the cluster to converge after restarting ${ids[i]} with ${keys.length} keys`,
            10_000,
            {
              detail: () =>
                cluster
                  .map(
                    (v) =>
                      `${v.nodeId} holds ${cluster.map((o) => `${o.nodeId}=${valueAt(v, o.nodeId, 'seq')}`).join(' ')}`,
                  )
                  .join('; ') + ` want ${JSON.stringify(Object.fromEntries(upTo))}`,
            },
          );
          restarts.push(Date.now() - started);
        }
      }
    } finally {
      clearInterval(writer);
    }
    // Writes stopped: the last value each node wrote reaches every other node.
    for (const owner of cluster) {
      await waitValue(
        cluster.filter((g) => g !== owner),
        owner.nodeId,
        'seq',
        lastWritten.get(owner.nodeId) as string,
      );
    }
    for (const g of cluster) {
      for (const reason of ['auth', 'unsealed', 'sealed'])
        expect(await g.metrics.rejectedCount(reason)).toBe(0);
    }
    console.log(
      `key rotation: 9 restarts, each back in sync within ${Math.max(...restarts)} ms; ${seq} writes`,
    );

    // A node still on the old key alone is now refused.
    const stale = await nodes.startEngine('rot-stale', { secretKeys: [k1] });
    await expect(stale.join([addrOf(cluster[0])])).rejects.toThrow(/auth/);
  });
});

describe('key rotation on a live cluster with setSecretKeys', () => {
  const nodes = new LoopbackCluster();
  afterAll(() => nodes.closeAll());

  it('moves three nodes from k1 to k2 without a restart, a lost update or a refusal', async () => {
    const ids = ['live-rot-0', 'live-rot-1', 'live-rot-2'];
    const cluster: Gossip[] = [];
    for (const id of ids) {
      const g = await nodes.startEngine(id, { secretKeys: [k1] });
      if (cluster.length > 0) await g.join([addrOf(cluster[0])]);
      cluster.push(g);
    }
    await waitAllSee(cluster, ids, 'the cluster on k1');
    let seq = 0;
    const writer = setInterval(() => {
      for (const g of cluster) g.upsertLocal('seq', String(++seq));
    }, 20);
    try {
      for (const keys of [[k1, k2.toString('base64')], [k2.toString('hex'), k1], [k2]]) {
        for (const g of cluster) {
          g.setSecretKeys(keys);
          await sleep(60); // a round or so between nodes, as an operator would
        }
      }
    } finally {
      clearInterval(writer);
    }
    for (const owner of cluster) {
      const last = owner.localNode().entries.find((e) => e.key === 'seq')?.value as string;
      await waitValue(
        cluster.filter((g) => g !== owner),
        owner.nodeId,
        'seq',
        last,
      );
    }
    for (const g of cluster) {
      for (const reason of ['auth', 'unsealed', 'sealed'])
        expect(await g.metrics.rejectedCount(reason)).toBe(0);
    }
    // The old key no longer opens anything.
    const stale = await nodes.startEngine('live-rot-stale', { secretKeys: [k1] });
    await expect(stale.join([addrOf(cluster[0])])).rejects.toThrow(/auth/);
  });

  it('validates keys and refuses to switch a node between sealed and plain', async () => {
    const sealed = await nodes.startEngine('keys-sealed', { secretKeys: [k1] });
    const plain = await nodes.startEngine('keys-plain');
    expect(() => sealed.setSecretKeys(['short'])).toThrow(/secretKeys\[0\] must be 32 bytes/);
    expect(() => sealed.setSecretKeys([])).toThrow(/cannot be emptied on a sealed node/);
    expect(() => plain.setSecretKeys([k1])).toThrow(/cannot be set on a plain node/);
    plain.setSecretKeys([]);
  });
});
