import { Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { register } from 'prom-client';
import { Gossip, type GossipLogger, type GossipOptions } from '../engine';
import { GOSSIP_ENGINE, GOSSIP_MODULE_EXTRAS, GOSSIP_RESOLVED_OPTIONS } from './constants';
import { GossipDiscoveryService } from './gossip-discovery.service';
import { GossipEventBus } from './gossip-event-bus';
import { GossipMetadataAccessor } from './gossip-metadata.accessor';
import { ConfigurableModuleClass, GOSSIP_MODULE_OPTIONS } from './gossip.module-definition';
import { validateGossipOptions } from './gossip-options.dto';
import { GossipLifecycle } from './gossip.lifecycle';
import { GossipService } from './gossip.service';
import { GossipSubscribersLoader } from './gossip-subscribers.loader';
import type { GossipModuleExtras, GossipModuleOptions } from './interfaces';

/** Keys of `GossipModuleOptions` that belong to the module, not the engine. */
const MODULE_KEYS = [
  'join',
  'joinAttempts',
  'joinTimeout',
  'joinBackoff',
  'joinMaxBackoff',
  'joinFailFast',
  'leaveTimeout',
] as const;

/**
 * One cluster member per application.
 *
 * ```ts
 * GossipModule.forRoot({ bindAddr: '0.0.0.0:7946', join: ['seed.internal'], controller: true })
 * GossipModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: ... })
 * ```
 *
 * Options are validated before anything binds; the engine binds its sockets
 * while the DI graph is built (so `GossipService` works in any `onModuleInit`),
 * joins at bootstrap, and leaves then closes at shutdown.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: GOSSIP_RESOLVED_OPTIONS,
      inject: [GOSSIP_MODULE_OPTIONS],
      useFactory: (options: GossipModuleOptions) => validateGossipOptions(options),
    },
    GossipEventBus,
    {
      provide: GOSSIP_ENGINE,
      inject: [GOSSIP_RESOLVED_OPTIONS, GOSSIP_MODULE_EXTRAS, GossipEventBus],
      useFactory: (options: GossipModuleOptions, extras: GossipModuleExtras, bus: GossipEventBus) =>
        Gossip.create(engineOptions(options, extras, bus)),
    },
    GossipService,
    GossipMetadataAccessor,
    GossipSubscribersLoader,
    GossipLifecycle,
    GossipDiscoveryService,
  ],
  exports: [GossipService, GossipDiscoveryService],
})
export class GossipModule extends ConfigurableModuleClass {}

function engineOptions(
  options: GossipModuleOptions,
  extras: GossipModuleExtras,
  bus: GossipEventBus,
): GossipOptions {
  const engine: GossipOptions & Partial<Record<(typeof MODULE_KEYS)[number], unknown>> = {
    ...options,
  };
  for (const key of MODULE_KEYS) delete engine[key];
  engine.watcher = bus.watcher(options.watcher);
  engine.logger = options.logger ?? nestLogger();
  engine.registry = options.registry ?? metricsRegistry(extras);
  return engine;
}

/** The registry the app serves: explicit, else prom-client's global one (what @willsoto/nestjs-prometheus exposes). */
function metricsRegistry(extras: GossipModuleExtras): GossipOptions['registry'] {
  const metrics = extras.metrics ?? true;
  if (metrics === false) return undefined;
  if (typeof metrics === 'object' && metrics.registry) return metrics.registry;
  return register;
}

function nestLogger(): GossipLogger {
  const logger = new Logger('Gossip');
  return {
    debug: (message) => logger.debug(message),
    warn: (message) => logger.warn(message),
    error: (message) => logger.error(message),
  };
}
