import type { TransportFactory } from '../lib/engine';

/** Bytes this process handed to the sockets, all nodes together. */
export interface WireCounts {
  udpBytes: number;
  udpPackets: number;
  tcpBytes: number;
  /** Streams opened (each carries one request and one reply). */
  tcpStreams: number;
}

export const newWireCounts = (): WireCounts => ({
  udpBytes: 0,
  udpPackets: 0,
  tcpBytes: 0,
  tcpStreams: 0,
});

/** The socket transport prefixes every stream message with a 4-byte length. */
const FRAME_HEADER = 4;

/**
 * Wraps a transport to count SENT bytes the way memberlist-bench counts them,
 * so the two columns of the comparison mean the same thing. Its Go harness
 * (../shared/anchors/memberlist-bench/main.go, countingTransport) adds:
 *  - UDP: len(b) of every WriteTo/WriteToAddress, i.e. the datagram payload
 *    as sent (after compression; no IP/UDP headers), outbound only;
 *  - TCP: every byte Write()n on a stream, on dialled AND accepted streams,
 *    so both the request of the initiator and the reply of the responder,
 *    framing included. (It also counts TCP reads but never reports them.)
 * Here: UDP = bytes of every sendPacket; TCP = each request and each reply
 * plus its length prefix. Counted at the transport, not from the engine's
 * metrics, so it stays true while the engine changes. A request to a port
 * that refuses the connection is counted though nothing was written; the
 * steady window runs before the crash, when every peer is up.
 */
export function countingTransport(inner: TransportFactory, counts: WireCounts): TransportFactory {
  return async (bindAddr, handler) => {
    const transport = await inner(bindAddr, {
      onPacket: (data, from) => handler.onPacket(data, from),
      onRequest: async (data, from) => {
        const reply = await handler.onRequest(data, from);
        counts.tcpBytes += FRAME_HEADER + reply.length;
        return reply;
      },
      onTransportReject: (reason) => handler.onTransportReject?.(reason),
    });
    return {
      get localAddr() {
        return transport.localAddr;
      },
      sendPacket(to, data) {
        counts.udpBytes += data.length;
        counts.udpPackets++;
        transport.sendPacket(to, data);
      },
      request(to, data, timeoutMs) {
        counts.tcpBytes += FRAME_HEADER + data.length;
        counts.tcpStreams++;
        return transport.request(to, data, timeoutMs);
      },
      close: () => transport.close(),
    };
  };
}
