import type { GossipLogger } from '../vocabulary/types';

/** The default logger: warnings and errors on the console, no debug. */
export const consoleLogger: GossipLogger = {
  debug: () => undefined,
  warn: (message) => console.warn(`[gossip] ${message}`),
  error: (message) => console.error(`[gossip] ${message}`),
};
