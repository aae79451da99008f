import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { Gossip, GossipOptions, socketTransport } from '../../lib/engine';
import { GOSSIP_DEFAULTS } from '../../lib/engine';
import type { TransportFactory } from '../../lib/engine';
import { parseHostPort } from '../../lib/engine/address';
import { waitFor } from '../support/wait';

export { sleep, waitFor } from '../support/wait';

/**
 * The real socket transport, but traffic the node sends goes only to the
 * addresses in `allowed`. Fuzzed messages name made-up nodes and
 * addresses; without this a node would gossip with whatever they name.
 * Inbound traffic, which is what the tests attack, is untouched.
 */
export function guardedTransport(
  options: Partial<GossipOptions>,
  allowed: Set<string>,
): TransportFactory {
  const inner = socketTransport({
    maxPacketSize: options.maxPacketSize ?? GOSSIP_DEFAULTS.maxPacketSize,
    maxStreamSize: options.maxStreamSize ?? GOSSIP_DEFAULTS.maxStreamSize,
    maxInboundStreams: options.maxInboundStreams ?? GOSSIP_DEFAULTS.maxInboundStreams,
    streamTimeout: options.streamTimeout ?? GOSSIP_DEFAULTS.streamTimeout,
  });
  return async (bindAddr, handler) => {
    const transport = await inner(bindAddr, handler);
    allowed.add(transport.localAddr);
    return {
      get localAddr() {
        return transport.localAddr;
      },
      sendPacket: (to, data) => {
        if (allowed.has(to)) transport.sendPacket(to, data);
      },
      request: (to, data, timeoutMs) =>
        allowed.has(to)
          ? transport.request(to, data, timeoutMs)
          : Promise.reject(new Error(`${to} is not a test node`)),
      close: () => transport.close(),
    };
  };
}

/** Nodes on 127.0.0.1 that a test closes in afterEach. */
export class Nodes {
  readonly all: Gossip[] = [];
  /** Addresses of the nodes started with `guarded: true`, the only ones they send to. */
  readonly allowed = new Set<string>();

  async start(
    nodeId: string,
    options: Partial<GossipOptions> = {},
    guarded = false,
  ): Promise<Gossip> {
    const gossip = await Gossip.create({
      bindAddr: '127.0.0.1:0',
      nodeId,
      interval: 50,
      logger: quietLogger,
      ...options,
      ...(guarded ? { transport: guardedTransport(options, this.allowed) } : {}),
    });
    this.all.push(gossip);
    return gossip;
  }

  async close(gossip: Gossip): Promise<void> {
    await gossip.close();
    this.all.splice(this.all.indexOf(gossip), 1);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.all.splice(0).map((g) => g.close()));
  }
}

export const quietLogger = {
  debug: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

export function addrOf(gossip: Gossip): string {
  return gossip.localNode().addr;
}

/** Ids of the nodes `gossip` holds as live (not left, not unreachable), sorted. */
export function liveIds(gossip: Gossip): string[] {
  return gossip
    .nodes()
    .filter((n) => !n.left && !n.unreachable)
    .map((n) => n.id)
    .sort();
}

/** Waits until every node sees exactly `ids` live (more nodes may be known but not live). */
export function waitAllSee(nodes: Gossip[], ids: string[], what: string, timeoutMs = 15_000) {
  const want = [...ids].sort().join();
  return waitFor(
    () =>
      nodes.every((g) => {
        const live = new Set(liveIds(g));
        return ids.every((id) => live.has(id));
      }),
    what,
    timeoutMs,
    () => nodes.map((g) => `${g.nodeId} sees ${liveIds(g).join(',')} (want ${want})`).join('; '),
  );
}

/** The live value of `key` on node `owner` as `viewer` holds it. */
export function valueAt(viewer: Gossip, owner: string, key: string): string | undefined {
  const entry = viewer.node(owner)?.entries.find((e) => e.key === key);
  return entry && !entry.deleted ? entry.value : undefined;
}

/** Waits until every viewer holds `owner`'s `key` = `value`. */
export function waitValue(viewers: Gossip[], owner: string, key: string, value: string) {
  return waitFor(
    () => viewers.every((v) => valueAt(v, owner, key) === value),
    `${owner}.${key}=${value.slice(0, 20)} everywhere`,
    15_000,
    () => viewers.map((v) => `${v.nodeId}: ${valueAt(v, owner, key)?.slice(0, 20)}`).join(', '),
  );
}

/** Sends datagrams from one throwaway socket, pausing now and then so the kernel does not drop them. */
export async function sendDatagrams(to: string, datagrams: Iterable<Uint8Array>): Promise<number> {
  const peer = parseHostPort(to);
  if (!peer) throw new Error(`bad address ${to}`);
  const socket = createSocket('udp4');
  let sent = 0;
  try {
    for (const datagram of datagrams) {
      await new Promise<void>((resolve) =>
        socket.send(datagram, peer.port, peer.host, () => resolve()),
      );
      sent++;
      if (sent % 32 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    socket.close();
  }
  return sent;
}

/** Length-prefixed frame, as the stream transport sends it. */
export function frame(data: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.set(data, 4);
  return out;
}

/**
 * Opens a TCP stream, writes `bytes` as is (frame them first for a real
 * request) and, unless told not to, closes its side; resolves with whatever
 * came back once the node closed it (or after `timeoutMs`, when the client
 * gives up).
 */
export function rawStream(
  to: string,
  bytes: Uint8Array,
  timeoutMs = 2000,
  endAfterWrite = true,
): Promise<Buffer> {
  const peer = parseHostPort(to);
  if (!peer) throw new Error(`bad address ${to}`);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: peer.host, port: peer.port });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('connect', () => (endAfterWrite ? socket.end(bytes) : socket.write(bytes)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', done);
    socket.on('close', done);
  });
}

/** Runs `task` over `items` with at most `limit` at once. */
export async function pool<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Rejection counts of a node for the given reasons. */
export async function rejections(
  gossip: Gossip,
  reasons: readonly string[],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const reason of reasons) out[reason] = await gossip.metrics.rejectedCount(reason);
  return out;
}

export const ALL_REASONS = [
  'empty',
  'version',
  'type',
  'decode',
  'auth',
  'unsealed',
  'sealed',
  'cluster',
  'limit',
  'oversize',
  'streams',
  'timeout',
  'self',
] as const;

/** A `gc()` that works without --expose-gc, so heap figures mean live memory. */
export function collectGarbage(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const v8 = require('node:v8') as typeof import('node:v8');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vm = require('node:vm') as typeof import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}
