import { createSocket, Socket as UdpSocket, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { createServer, connect, isIP, Server, Socket } from 'node:net';
import { HostPort, formatHostPort, parseHostPort } from '../vocabulary/address';
import { GossipPeerError } from '../vocabulary/errors';
import { StreamBudget, StreamReservation, inboundStreamBudget } from './stream-budget';
import type { Transport, TransportFactory, TransportHandler } from '../vocabulary/transport';

/**
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export interface SocketTransportLimits {
  /** Datagrams larger than this are dropped on receipt. */
  maxPacketSize: number;
  /** Largest TCP message (either direction). */
  maxStreamSize: number;
  /** Inbound streams served at once. */
  maxInboundStreams: number;
  /** Deadline for reading a whole inbound message. */
  streamTimeout: number;
  /** Bytes of inbound requests held at once; default the process-wide `inboundStreamBudget`. */
  budget?: StreamBudget;
}

const FRAME_HEADER = 4;

/**
 * The UDP socket's name lookup: an IP literal (every peer address we
 * send to) is its own answer, given at once; only names go to DNS. Node
 * would otherwise defer each datagram to a later tick for the lookup.
 */
const literalFirst: NonNullable<SocketOptions['lookup']> = (host, options, callback) => {
  const family = isIP(host);
  if (family !== 0) callback(null, host, family);
  else dnsLookup(host, options, callback);
};

/**
 * UDP datagrams and TCP request/reply streams on one port. A stream carries
 * one length-prefixed message each way, then closes.
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export function socketTransport(limits: SocketTransportLimits): TransportFactory {
  return async (bindAddr, handler) => {
    const bind = parseHostPort(bindAddr);
    if (!bind) throw new Error(`bad bind address ${bindAddr}`);
    const family = isIP(bind.host) === 6 || bind.host === '::' ? 'udp6' : 'udp4';
    const host = bind.host === '' ? (family === 'udp6' ? '::' : '0.0.0.0') : bind.host;
    // With port 0, the UDP port is picked first and TCP must get the same one; retry on a clash.
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({ type: family, reuseAddr: false, lookup: literalFirst });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(bind.port, host, () => {
            udp.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        throw err;
      }
      const port = udp.address().port;
      const server = createServer({ pauseOnConnect: false });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port, host, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        server.close();
        if (bind.port === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 20)
          continue;
        throw err;
      }
      return new SocketTransport(udp, server, formatHostPort(host, port), handler, limits);
    }
  };
}

class SocketTransport implements Transport {
  private active = 0;
  private closed = false;
  private readonly inbound = new Set<Socket>();
  /** Inbound streams still reading their request, oldest first, with what ends each. */
  private readonly waiting = new Map<Socket, () => void>();
  private readonly outbound = new Set<Socket>();
  private readonly budget: StreamBudget;

  constructor(
    private readonly udp: UdpSocket,
    private readonly server: Server,
    readonly localAddr: string,
    private readonly handler: TransportHandler,
    private readonly limits: SocketTransportLimits,
  ) {
    this.budget = limits.budget ?? inboundStreamBudget;
    this.budget.registerStreamSize(limits.maxStreamSize);
    udp.on('message', (msg, rinfo) => {
      if (msg.length > limits.maxPacketSize) {
        handler.onTransportReject?.('oversize');
        return;
      }
      handler.onPacket(msg, this.sourceAddress(rinfo.address, rinfo.port));
    });
    udp.on('error', () => {
      // ICMP errors and the like: a datagram is allowed to be lost
    });
    server.on('connection', (socket) => this.serve(socket));
    server.on('error', () => {
      // accept errors (EMFILE...) must not crash the process
    });
  }

  sendPacket(to: string, data: Uint8Array): void {
    if (this.closed) return;
    const peer = this.peerAddress(to);
    if (!peer) return;
    try {
      // No callback: send errors (unreachable, wrong family) mean a lost datagram, and
      // the socket's 'error' listener ignores them; one callback less per datagram.
      this.udp.send(data, peer.port, peer.host);
    } catch {
      // a bad port or address throws at once: also just a lost datagram
    }
  }

  /** Source addresses as strings, by host and port: every datagram needs one, and peers are few. */
  private readonly sources = new Map<string, Map<number, string>>();
  private sourceCount = 0;

  /** The same string for the same source: no formatting, and the engine's lookups by it hit a hashed key. */
  private sourceAddress(host: string, port: number): string {
    let ports = this.sources.get(host);
    const known = ports?.get(port);
    if (known !== undefined) return known;
    if (this.sourceCount >= 10_000) {
      this.sources.clear();
      this.sourceCount = 0;
      ports = undefined;
    }
    if (!ports) {
      ports = new Map();
      this.sources.set(host, ports);
    }
    const addr = formatHostPort(host, port);
    ports.set(port, addr);
    this.sourceCount++;
    return addr;
  }

  /** Parsed peer addresses: every datagram needs one, and peers are few. */
  private readonly parsed = new Map<string, HostPort | undefined>();

  private peerAddress(to: string): HostPort | undefined {
    let peer = this.parsed.get(to);
    if (peer === undefined && !this.parsed.has(to)) {
      if (this.parsed.size >= 10_000) this.parsed.clear();
      peer = parseHostPort(to);
      this.parsed.set(to, peer);
    }
    return peer;
  }

  request(to: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const peer = parseHostPort(to);
    if (!peer) return Promise.reject(new GossipPeerError('unreachable', to, `bad address ${to}`));
    if (this.closed)
      return Promise.reject(new GossipPeerError('unreachable', to, 'transport closed'));
    return new Promise((resolve, reject) => {
      const socket = connect({ port: peer.port, host: peer.host });
      this.outbound.add(socket);
      const reader = new FrameReader(this.limits.maxStreamSize);
      let settled = false;
      const finish = (err: GossipPeerError | undefined, reply?: Uint8Array) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.outbound.delete(socket);
        socket.destroy();
        if (err) reject(err);
        else resolve(reply as Uint8Array);
      };
      const timer = setTimeout(
        () =>
          finish(new GossipPeerError('timeout', to, `no reply from ${to} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref();
      socket.on('connect', () => socket.write(frame(data)));
      socket.on('data', (chunk) => {
        const result = reader.push(chunk);
        if (result === 'oversize')
          finish(
            new GossipPeerError(
              'too-large',
              to,
              `reply from ${to} exceeds ${this.limits.maxStreamSize} bytes`,
            ),
          );
        else if (result instanceof Uint8Array) finish(undefined, result);
      });
      socket.on('error', (err) =>
        finish(new GossipPeerError('unreachable', to, `stream to ${to} failed: ${err.message}`)),
      );
      socket.on('close', () =>
        finish(new GossipPeerError('unreachable', to, `stream to ${to} closed before a reply`)),
      );
    });
  }

  /** Whether a new inbound stream may be served, dropping a stream still waiting for its request if need be. */
  private makeRoom(): boolean {
    if (this.closed) return false;
    if (this.active < this.limits.maxInboundStreams) return true;
    this.handler.onTransportReject?.('streams');
    // Slowloris: connections that send nothing would hold every slot until
    // streamTimeout, again and again. An honest peer sends its request at
    // once, so make room by dropping the stream that has waited longest for
    // its request; refuse only when every slot is already being answered.
    const oldest = this.waiting.values().next();
    if (oldest.done) return false;
    oldest.value();
    return true;
  }

  /**
   * A reader that reserves a stream's bytes once its header says how many
   * will come, before any body is kept; `drop` ends the stream when the
   * budget needs the room back.
   */
  private budgetedReader(
    drop: () => void,
    reserved: (reservation: StreamReservation) => void,
  ): FrameReader {
    return new FrameReader(this.limits.maxStreamSize, (length) => {
      const granted = this.budget.reserve(length, () => {
        this.handler.onTransportReject?.('streams');
        drop();
      });
      if (typeof granted === 'string') {
        this.handler.onTransportReject?.(granted === 'too-large' ? 'oversize' : 'streams');
        return false;
      }
      reserved(granted);
      return true;
    });
  }

  /** Reads one request within the byte budget and the deadline, answers it, and closes. */
  private serve(socket: Socket): void {
    if (!this.makeRoom()) {
      socket.destroy();
      return;
    }
    this.active++;
    this.inbound.add(socket);
    const from = formatHostPort(socket.remoteAddress ?? '', socket.remotePort ?? 0);
    let reservation: StreamReservation | undefined;
    const reader = this.budgetedReader(
      () => end(),
      (granted) => (reservation = granted),
    );
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reservation?.release();
      this.active--;
      this.inbound.delete(socket);
      this.waiting.delete(socket);
      socket.destroy();
    };
    this.waiting.set(socket, end);
    const timer = setTimeout(() => {
      this.handler.onTransportReject?.('timeout');
      end();
    }, this.limits.streamTimeout);
    timer.unref();
    socket.on('error', end);
    socket.on('close', end);
    socket.on('data', (chunk) => {
      if (done || !this.waiting.has(socket)) return;
      const message = reader.push(chunk);
      if (message === 'oversize' || message === 'refused') {
        if (message === 'oversize') this.handler.onTransportReject?.('oversize');
        end();
        return;
      }
      if (!message) return;
      this.waiting.delete(socket);
      reservation?.settle();
      socket.pause();
      this.handler.onRequest(message, from).then(
        (reply) => {
          if (done) return;
          socket.end(frame(reply), () => end());
        },
        () => end(),
      );
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [...this.inbound, ...this.outbound]) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.server.close(() => resolve())),
    ]);
  }
}

function frame(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + data.length);
  out.writeUInt32BE(data.length, 0);
  out.set(data, FRAME_HEADER);
  return out;
}

/** Collects one length-prefixed frame without allocating more than was received. */
class FrameReader {
  private chunks: Buffer[] = [];
  private received = 0;
  private expected = -1;

  /** `admit` is asked once, when the header announces the length; false refuses the frame. */
  constructor(
    private readonly maxSize: number,
    private readonly admit: (length: number) => boolean = () => true,
  ) {}

  /**
   * The whole message once complete; 'oversize' when it announces too much,
   * 'refused' when `admit` said no; else undefined.
   */
  push(chunk: Buffer): Uint8Array | 'oversize' | 'refused' | undefined {
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.expected < 0) {
      if (this.received < FRAME_HEADER) return undefined;
      const head = Buffer.concat(this.chunks);
      this.expected = head.readUInt32BE(0);
      if (this.expected > this.maxSize) return 'oversize';
      if (!this.admit(this.expected)) return 'refused';
      this.chunks = [head.subarray(FRAME_HEADER)];
      this.received -= FRAME_HEADER;
    }
    if (this.received < this.expected) return undefined;
    // Only the announced bytes: anything sent past the frame is not kept.
    const message = Buffer.concat(this.chunks, this.expected);
    this.chunks = [];
    return message;
  }
}
