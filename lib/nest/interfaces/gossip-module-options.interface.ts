import type { Registry } from 'prom-client';
import type { GossipOptions } from '../../engine';
import type { FromEnvironment } from '../../engine/config/option-rules';
import type { GossipTestHook } from '../../engine/config/options';

/** How bootstrap treats the join: see `GossipModuleOwnOptions.joinOnBootstrap`. */
export type GossipJoinOnBootstrap = 'wait' | 'background';

/** How the module joins and leaves (the options the engine does not have). */
export interface GossipModuleOwnOptions {
  /**
   * Seeds (`host[:port]`, IPs or DNS names; port defaults to ours) joined on
   * `onApplicationBootstrap`. Empty or absent: this node founds a cluster and
   * waits to be joined. From the environment: `"a:7946,b:7946"`.
   */
  join?: string[];
  /**
   * `wait` (default, as `TypeOrmModule` waits for its database): bootstrap,
   * and so `app.listen()`, waits until the node joined or `joinAttempts`
   * failed. `background`: bootstrap returns at once and the node joins
   * meanwhile; `GossipService.status` and the health indicator say
   * `joining` until it has (use it as a startup or readiness probe).
   */
  joinOnBootstrap?: GossipJoinOnBootstrap;
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

/**
 * Options of `GossipModule.forRoot` / the value a `forRootAsync` factory
 * returns: every engine option (`bindAddr` is required) plus how the module
 * joins and leaves. Values may come straight from the environment: numbers
 * as numeric strings (`interval: '100'`), lists as comma-separated strings
 * (`join: 'a:7946,b:7946'`), booleans as `'true'`/`'false'`. The metrics
 * registry is chosen with the module's `metrics` setting, not here.
 */
export type GossipModuleOptions = FromEnvironment<
  Omit<GossipOptions, GossipTestHook | 'registry'> & GossipModuleOwnOptions
>;

/** The options after validation: converted, with the module's defaults filled in. */
export type ResolvedGossipModuleOptions = GossipOptions & Required<GossipModuleOwnOptions>;

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
   * The one place to choose the metrics registry. `true` (default):
   * prom-client's global `register`, which `@willsoto/nestjs-prometheus`
   * serves on `/metrics`. `{ registry }`: that registry. `false`: a private
   * registry (still at `GossipService.metrics`).
   */
  metrics?: boolean | GossipMetricsOptions;
}
