import type { Registry } from 'prom-client';
import type { GossipOptions } from '../../engine';

/**
 * Options of `GossipModule.forRoot` / the value `forRootAsync` resolves to:
 * every engine option (`bindAddr` is required) plus how the module joins and leaves.
 */
export interface GossipModuleOptions extends GossipOptions {
  /**
   * Seeds (`host[:port]`, IPs or DNS names) joined on `onApplicationBootstrap`.
   * Empty or absent: this node starts a cluster of its own and waits to be joined.
   */
  join?: string[];
  /** Join attempts made during bootstrap before giving up (or going to the background). Default 5. */
  joinAttempts?: number;
  /** Time one join attempt may take, in ms. Default 5000. */
  joinTimeout?: number;
  /** First delay between join attempts, in ms; doubled after each failure. Default 200. */
  joinBackoff?: number;
  /** Longest delay between join attempts, in ms. Default 30000. */
  joinMaxBackoff?: number;
  /**
   * When the bootstrap attempts all fail: `true` fails the application bootstrap;
   * `false` (default) logs and keeps retrying in the background until a seed answers,
   * a peer joins us, or the application shuts down.
   */
  joinFailFast?: boolean;
  /** How long shutdown waits for peers to acknowledge the leave, in ms. Default 3000. */
  leaveTimeout?: number;
}

/** Where to mount `GossipController`. */
export interface GossipControllerOptions {
  /** Route prefix. Default `gossip`. */
  path?: string;
  /** Also serve the cluster page (`{path}/ui`) and its event stream (`{path}/events`). Default true. */
  ui?: boolean;
}

/** Where the gossip metrics go. */
export interface GossipMetricsOptions {
  /** A prom-client registry. Default: prom-client's global `register`. */
  registry?: Registry;
}

/**
 * Settings that shape the module graph, so they are known before an async
 * options factory runs (`ConfigurableModuleBuilder` extras).
 */
export interface GossipModuleExtras {
  /** Register the module globally. Default false. */
  isGlobal?: boolean;
  /** Mount `GossipController` (`true` for path `gossip`). Default false. */
  controller?: boolean | GossipControllerOptions;
  /**
   * `true` (default): metrics go to `options.registry` when given, else to
   * prom-client's global `register`, which `@willsoto/nestjs-prometheus` serves
   * on `/metrics`. `false`: a private registry (still at `GossipService.metrics`).
   */
  metrics?: boolean | GossipMetricsOptions;
}
