import type { GossipEvent, GossipListener } from '../engine/vocabulary/events';
import type { GossipLogger } from '../engine/vocabulary/types';

/**
 * One engine event, stamped with virtual time: `node` saw `event` (whose
 * `nodeId` is the node it is about; `local` when `node` wrote it itself).
 */
export interface SimEvent {
  at: number;
  node: string;
  event: GossipEvent;
}

export interface SimLogLine {
  at: number;
  node: string;
  level: 'warn' | 'error';
  message: string;
}

/**
 * What the engines of a run reported, on virtual time: every event (kept in
 * `events` unless recording is off, and handed to `onEvent` listeners) and
 * every warning and error line.
 */
export class SimTrace {
  readonly events: SimEvent[] = [];
  readonly logs: SimLogLine[] = [];
  private readonly listeners: Array<(event: SimEvent) => void> = [];

  constructor(
    private readonly now: () => number,
    private readonly recordEvents: boolean,
  ) {}

  onEvent(listener: (event: SimEvent) => void): void {
    this.listeners.push(listener);
  }

  /** The engine listener of node `nodeId`. */
  listenerFor(nodeId: string): GossipListener {
    return (event) => {
      if (!this.recordEvents && this.listeners.length === 0) return;
      const seen: SimEvent = { at: this.now(), node: nodeId, event };
      if (this.recordEvents) this.events.push(seen);
      for (const listener of this.listeners) listener(seen);
    };
  }

  /** The engine logger of node `nodeId` (debug lines are dropped). */
  loggerFor(nodeId: string): GossipLogger {
    return {
      debug: () => undefined,
      warn: (message) => this.logs.push({ at: this.now(), node: nodeId, level: 'warn', message }),
      error: (message) => this.logs.push({ at: this.now(), node: nodeId, level: 'error', message }),
    };
  }
}
