import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { Gossip, REJECT_REASONS } from '../../lib/engine';
import { parseHostPort } from '../../lib/engine/vocabulary/address';

export function addrOf(gossip: Gossip): string {
  return gossip.localNode().addr;
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

export const ALL_REASONS = REJECT_REASONS;

/** A `gc()` that works without --expose-gc, so heap figures mean live memory. */
export function collectGarbage(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const v8 = require('node:v8') as typeof import('node:v8');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vm = require('node:vm') as typeof import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}
