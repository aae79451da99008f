import {
  Controller,
  Get,
  Header,
  Inject,
  type MessageEvent,
  type OnModuleDestroy,
  type OnModuleInit,
  Sse,
  Type,
} from '@nestjs/common';
import { Observable, Subject, takeUntil } from 'rxjs';
import { GOSSIP_DEFAULTS } from '../../engine';
import { DEFAULT_CONTROLLER_PATH, GOSSIP_RESOLVED_OPTIONS } from '../constants';
import { GossipEventBus } from '../gossip-event-bus';
import { GossipService } from '../gossip.service';
import type { ResolvedGossipModuleOptions } from '../interfaces';
import { ClusterActivity } from './cluster-activity';
import { clusterFeed } from './cluster-feed';
import { CLUSTER_PAGE_CSP, CLUSTER_PAGE_HTML } from './cluster-page';

/**
 * The live cluster page (`GET {path}/ui`) and the server-sent events that
 * feed it (`GET {path}/events`, also handy with `curl -N`). Mounted next to
 * `GossipController` unless `controller: { ui: false }`. Entries are shown
 * to whoever can reach the route: guard it as you would `/gossip/nodes`.
 */
@Controller(DEFAULT_CONTROLLER_PATH)
export class GossipUiController implements OnModuleInit, OnModuleDestroy {
  /** Ends open streams when the app shuts down, or the HTTP server would wait for them. */
  private readonly closing = new Subject<void>();
  private readonly activity: ClusterActivity;

  constructor(
    private readonly gossip: GossipService,
    private readonly bus: GossipEventBus,
    @Inject(GOSSIP_RESOLVED_OPTIONS) options: ResolvedGossipModuleOptions,
  ) {
    this.activity = new ClusterActivity(gossip, {
      metricsPrefix: options.metricsPrefix ?? GOSSIP_DEFAULTS.metricsPrefix,
    });
  }

  @Get('ui')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CLUSTER_PAGE_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'no-store')
  page(): string {
    return CLUSTER_PAGE_HTML;
  }

  /** `snapshot` first, then changes as they happen, and `stats` every second (see `clusterFeed`). */
  @Sse('events')
  events(): Observable<MessageEvent> {
    return clusterFeed(this.gossip, this.bus.events$, this.activity).pipe(takeUntil(this.closing));
  }

  /** Sampling starts with the app, so the chart has the last minute when the page opens. */
  onModuleInit(): void {
    this.activity.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.activity.stop();
    this.closing.next();
    this.closing.complete();
    // Let the ended responses flush, so the HTTP server finds their connections idle and closes them.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** `GossipUiController` mounted at `path` (a subclass, so two modules may use two paths). */
export function createGossipUiController(path?: string): Type<GossipUiController> {
  const route = (path ?? DEFAULT_CONTROLLER_PATH).replace(/^\/+|\/+$/g, '');
  if (route === DEFAULT_CONTROLLER_PATH) return GossipUiController;
  @Controller(route)
  class MountedGossipUiController extends GossipUiController {}
  return MountedGossipUiController;
}
