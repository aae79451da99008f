import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { register } from 'prom-client';
import { Gossip, type GossipLogger, type GossipOptions } from '../engine';
import { markValidated } from '../engine/config/options';
import { GOSSIP_ENGINE, GOSSIP_MODULE_EXTRAS, GOSSIP_RESOLVED_OPTIONS } from './constants';
import { GossipDiscoveryService } from './gossip-discovery.service';
import { GossipEventBus } from './gossip-event-bus';
import { GossipMetadataAccessor } from './gossip-metadata.accessor';
import {
  ConfigurableModuleClass,
  GOSSIP_MODULE_OPTIONS,
  type GossipModuleAsyncOptions,
  type GossipModuleForRootOptions,
} from './gossip.module-definition';
import { validateGossipOptions } from './gossip-options.dto';
import { GossipLifecycle } from './gossip.lifecycle';
import { GossipService } from './gossip.service';
import { GossipSubscribersLoader } from './gossip-subscribers.loader';
import type {
  GossipModuleExtras,
  GossipModuleOptions,
  ResolvedGossipModuleOptions,
} from './interfaces';
import { MODULE_OPTION_RULES } from './module-option-rules';
import { ClusterMessageBus } from './messages/cluster-message-bus';
import { GossipMessagesService } from './messages/gossip-messages.service';
import { MessagesMetadataAccessor } from './messages/messages-metadata.accessor';
import { MessagesSubscribersLoader } from './messages/messages-subscribers.loader';
import { ALL_TOPICS } from './messages/messages.constants';

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
    ClusterMessageBus,
    {
      provide: GOSSIP_ENGINE,
      inject: [GOSSIP_RESOLVED_OPTIONS, GOSSIP_MODULE_EXTRAS, GossipEventBus, ClusterMessageBus],
      useFactory: async (
        options: ResolvedGossipModuleOptions,
        extras: GossipModuleExtras,
        bus: GossipEventBus,
        messages: ClusterMessageBus,
      ) => {
        // Validated once already (GOSSIP_RESOLVED_OPTIONS): the engine only fills defaults.
        // A bind failure is a GossipBindError naming bindAddr.
        const gossip = await Gossip.create(markValidated(engineOptions(options, extras)));
        // Before any I/O callback can run: no event is missed.
        gossip.subscribe((event) => bus.push(event));
        gossip.messages.subscribe(ALL_TOPICS, (message) => messages.push(message));
        return gossip;
      },
    },
    GossipService,
    GossipMetadataAccessor,
    GossipSubscribersLoader,
    GossipLifecycle,
    GossipDiscoveryService,
    GossipMessagesService,
    MessagesMetadataAccessor,
    MessagesSubscribersLoader,
  ],
  exports: [GossipService, GossipDiscoveryService, GossipMessagesService],
})
export class GossipModule extends ConfigurableModuleClass {
  /**
   * The module with options known up front.
   *
   * ```ts
   * GossipModule.forRoot({ bindAddr: '0.0.0.0:7946', join: ['seeds.internal'], controller: true })
   * ```
   *
   * Every engine option (`bindAddr` required), the join/leave options
   * (`join`, `joinOnBootstrap`, `joinAttempts`, ...), and the module settings
   * `isGlobal`, `controller` and `metrics`. Invalid options fail the
   * bootstrap with a `GossipConfigError` naming the option before anything binds.
   */
  static override forRoot(options: GossipModuleForRootOptions): DynamicModule {
    return super.forRoot(options);
  }

  /**
   * The module with options from a factory, typically `ConfigService`:
   *
   * ```ts
   * GossipModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     bindAddr: config.getOrThrow('GOSSIP_BIND'),
   *     join: config.get('GOSSIP_SEEDS'),        // "a:7946,b:7946"
   *     interval: config.get('GOSSIP_INTERVAL'), // "100"
   *   }),
   *   controller: true,
   * })
   * ```
   *
   * Also `useClass` / `useExisting` (a class with `createGossipOptions()`).
   * `isGlobal`, `controller` and `metrics` sit next to the factory: they
   * shape the module, so they cannot come from it (a factory that returns
   * one fails the bootstrap with a `GossipConfigError` saying so).
   */
  static override forRootAsync(options: GossipModuleAsyncOptions): DynamicModule {
    return super.forRootAsync(options);
  }
}

function engineOptions(
  options: ResolvedGossipModuleOptions,
  extras: GossipModuleExtras,
): GossipOptions {
  const engine: Record<string, unknown> = { ...options };
  for (const key of Object.keys(MODULE_OPTION_RULES)) delete engine[key];
  return {
    ...(engine as unknown as GossipOptions),
    logger: options.logger ?? nestLogger(),
    registry: metricsRegistry(extras),
  };
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
