import type { INestApplication } from '@nestjs/common';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { GossipService } from '../../lib';
import {
  GossipClients,
  GossipTransportError,
  provideGossipClients,
} from '../../lib/nest/microservices';
import { gossipApp } from './helpers';
import { waitFor } from '../support/wait';

/** Real TCP clients, with a record of which were created and closed. */
function recordingFactory() {
  const created: Array<{ nodeId: string; address: string; closed: boolean }> = [];
  const createClient = (address: string, nodeId: string): ClientProxy => {
    const [host, port] = address.split(':');
    const client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host, port: Number(port) },
    });
    const record = { nodeId, address, closed: false };
    created.push(record);
    const close = client.close.bind(client);
    client.close = () => {
      record.closed = true;
      return close();
    };
    return client;
  };
  return { created, createClient };
}

describe('GossipClients: one ClientProxy per node', () => {
  const factory = recordingFactory();
  let a: { app: INestApplication; gossip: GossipService };
  let clients: GossipClients;
  const others: Array<{ app: INestApplication; gossip: GossipService }> = [];

  beforeAll(async () => {
    // Provided next to GossipModule (the testing module imports it), where GossipService is visible.
    a = await gossipApp(
      { nodeId: 'cl-a', nodeExpiry: 30_000 },
      {
        providers: [...provideGossipClients({ createClient: factory.createClient, timeout: 500 })],
      },
    );
    clients = a.app.get(GossipClients);
  });
  afterAll(async () => {
    for (const o of others) await o.app.close().catch(() => undefined);
    await a.app.close().catch(() => undefined);
  });

  async function peer(id: string, address: string) {
    const p = await gossipApp({ nodeId: id, join: [a.gossip.localNode().addr] });
    p.gossip.upsertLocal('rpc', address);
    others.push(p);
    await waitFor(() => clients.addressOf(id) === address, `${id} address`);
    return p;
  }

  it('creates a client once, and replaces it when the address changes', async () => {
    const b = await peer('cl-b', '127.0.0.1:1');
    const first = clients.client('cl-b');
    expect(first).toBeDefined();
    expect(clients.client('cl-b')).toBe(first);
    expect(factory.created.filter((c) => c.nodeId === 'cl-b')).toHaveLength(1);
    expect(clients.openClients()).toEqual(['cl-b']);

    b.gossip.upsertLocal('rpc', '127.0.0.1:2');
    await waitFor(() => factory.created[0].closed, 'old client closed on address change');
    const second = clients.client('cl-b');
    expect(second).not.toBe(first);
    expect(factory.created.at(-1)).toMatchObject({ nodeId: 'cl-b', address: '127.0.0.1:2' });
  });

  it('a transport failure rejects with GossipTransportError and drops the client', async () => {
    // Nothing listens on port 2: connection refused.
    await expect(clients.send('cl-b', 'ping', {})).rejects.toBeInstanceOf(GossipTransportError);
    expect(clients.openClients()).toEqual([]);
    expect(factory.created.filter((c) => c.nodeId === 'cl-b').every((c) => c.closed)).toBe(true);
    await expect(clients.send('nobody', 'ping', {})).rejects.toThrow(/nobody failed: not live/);
  });

  it('closes the client when the node deletes its address, leaves, or becomes unreachable', async () => {
    const [b] = others;
    clients.client('cl-b');
    b.gossip.deleteLocal('rpc');
    await waitFor(() => factory.created.at(-1)?.closed, 'closed on delete-key');
    expect(clients.client('cl-b')).toBeUndefined();

    b.gossip.upsertLocal('rpc', '127.0.0.1:3');
    await waitFor(() => clients.client('cl-b'), 'client again');
    await b.app.close();
    await waitFor(() => factory.created.at(-1)?.closed, 'closed on leave');
    expect(clients.client('cl-b')).toBeUndefined();

    const c = await peer('cl-c', '127.0.0.1:4');
    expect(clients.client('cl-c')).toBeDefined();
    await c.gossip.close(); // a crash: no leave
    await waitFor(() => factory.created.at(-1)?.closed, 'closed on unreachable');
    expect(clients.openClients()).toEqual([]);
    expect(clients.owner('anything')).toBe(undefined);
  });

  it('closes every client at shutdown', async () => {
    await peer('cl-d', '127.0.0.1:5');
    expect(clients.client('cl-d')).toBeDefined();
    expect(clients.owner('k')).toBe('cl-d'); // the only live node with an address
    await a.app.close();
    expect(factory.created.every((c) => c.closed)).toBe(true);
  });
});

describe('@nestjs/microservices stays optional', () => {
  it('is imported only under lib/nest/microservices (the nestjs-gossip/microservices entry)', () => {
    const root = join(__dirname, '..', '..', 'lib');
    const importers = (readdirSync(root, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .filter((f) =>
        /from '@nestjs\/microservices'|require\('@nestjs\/microservices'\)/.test(
          readFileSync(join(root, f), 'utf8'),
        ),
      )
      .map((f) => relative(root, join(root, f)));
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((f) => !f.startsWith(join('nest', 'microservices')))).toEqual([]);
    const main = readFileSync(join(root, 'nest', 'index.ts'), 'utf8');
    expect(main).not.toMatch(/microservices/);
  });
});
