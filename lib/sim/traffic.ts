/** Something the network saw that a correct engine never does. Scenario tests assert there are none. */
export interface Violation {
  at: number;
  kind: 'packet-oversize' | 'stream-oversize';
  from: string;
  to: string;
  size: number;
  limit: number;
}

/** Traffic counters of one node. */
export interface TrafficCounters {
  packetsOut: number;
  packetBytesOut: number;
  packetsIn: number;
  packetBytesIn: number;
  streamsOut: number;
  streamBytesOut: number;
  streamBytesIn: number;
}

export function emptyCounters(): TrafficCounters {
  return {
    packetsOut: 0,
    packetBytesOut: 0,
    packetsIn: 0,
    packetBytesIn: 0,
    streamsOut: 0,
    streamBytesOut: 0,
    streamBytesIn: 0,
  };
}
