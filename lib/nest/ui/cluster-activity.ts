import { Observable, Subject, type Subscription } from 'rxjs';
import type { GossipEvent } from '../gossip-event';
import type { GossipService } from '../gossip.service';
import { readTraffic, type TrafficTotals } from './cluster-traffic';

/** One sample of the node's activity, taken every second. */
export interface ActivitySample extends TrafficTotals {
  /** Server time, ms since the epoch. */
  at: number;
  /** Gossip events (joins, writes, ...) seen since the previous sample. */
  events: number;
  alive: number;
  unreachable: number;
  left: number;
}

export interface ClusterActivityOptions {
  /** Metric name prefix, to read the traffic counters. */
  metricsPrefix: string;
  /** Sampling period in ms. Default 1000. */
  every?: number;
  /** Samples kept for a page that opens later. Default 60. */
  keep?: number;
  /** Events kept for a page that opens later (its "Recent events"). Default 100. */
  keepEvents?: number;
}

/**
 * Samples the local node's traffic and event rate once a second, for every
 * client at once, and keeps the last minute so a page opened now can draw
 * its chart from the start.
 */
/** A gossip event and when this node saw it (ms since the epoch). */
export type TimedEvent = GossipEvent & { at: number };

export class ClusterActivity {
  private readonly history: ActivitySample[] = [];
  private readonly subject = new Subject<ActivitySample>();
  private timer: NodeJS.Timeout | undefined;
  private events: Subscription | undefined;
  private eventCount = 0;
  /** The last events, oldest first, so a page opened now shows what just happened. */
  private readonly lastEvents: TimedEvent[] = [];

  /** A sample each period. */
  readonly samples$: Observable<ActivitySample> = this.subject.asObservable();

  constructor(
    private readonly gossip: GossipService,
    private readonly options: ClusterActivityOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    this.events = this.gossip.events$.subscribe((event) => {
      this.eventCount++;
      this.lastEvents.push({ ...event, at: Date.now() });
      if (this.lastEvents.length > (this.options.keepEvents ?? 100)) this.lastEvents.shift();
    });
    this.timer = setInterval(() => void this.sample(), this.options.every ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.events?.unsubscribe();
    this.subject.complete();
  }

  /** The last events (100 by default), oldest first. */
  recentEvents(): TimedEvent[] {
    return [...this.lastEvents];
  }

  /** The samples kept, oldest first. */
  recent(): ActivitySample[] {
    return [...this.history];
  }

  private async sample(): Promise<void> {
    const traffic = await readTraffic(this.gossip, this.options.metricsPrefix);
    const sample: ActivitySample = {
      at: Date.now(),
      ...traffic,
      events: this.eventCount,
      alive: 0,
      unreachable: 0,
      left: 0,
    };
    this.eventCount = 0;
    for (const node of this.gossip.nodes()) {
      if (node.status === 'left') sample.left++;
      else if (node.status === 'unreachable') sample.unreachable++;
      else if (node.status === 'alive') sample.alive++;
    }
    this.history.push(sample);
    if (this.history.length > (this.options.keep ?? 60)) this.history.shift();
    this.subject.next(sample);
  }
}
