/** What bench/messages.ts writes to each bench/message-node.ts, and the names both use. */

export type MessageCommand =
  | { cmd: 'latency'; count: number; gapMs: number; size: number }
  | { cmd: 'throughput'; seconds: number; inFlight: number; size: number }
  | { cmd: 'query'; name: string; count: number; timeout: number }
  | { cmd: 'stall' }
  | { cmd: 'report' };

export const TOPIC_LATENCY = 'bench.latency';
export const TOPIC_THROUGHPUT = 'bench.throughput';
/** Every node answers it at once. */
export const QUERY_ECHO = 'bench.echo';
/** Every node answers it at once, but a stalled one's (`stall`) handler never returns. */
export const QUERY_SLOW = 'bench.slow';
