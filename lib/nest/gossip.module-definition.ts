import { ConfigurableModuleBuilder } from '@nestjs/common';
import { GOSSIP_MODULE_EXTRAS } from './constants';
import { createGossipController } from './gossip.controller';
import type { GossipModuleExtras, GossipModuleOptions } from './interfaces';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: GOSSIP_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<GossipModuleOptions>({ moduleName: 'Gossip' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createGossipOptions')
  .setExtras<GossipModuleExtras>(
    { isGlobal: false, controller: false, metrics: true },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      controllers: extras.controller
        ? [
            createGossipController(
              typeof extras.controller === 'object' ? extras.controller.path : undefined,
            ),
          ]
        : [],
      providers: [
        ...(definition.providers ?? []),
        { provide: GOSSIP_MODULE_EXTRAS, useValue: extras },
      ],
    }),
  )
  .build();

/** `GossipModule.forRoot` argument: engine options, lifecycle options and extras. */
export type GossipModuleForRootOptions = typeof OPTIONS_TYPE;
/** `GossipModule.forRootAsync` argument. */
export type GossipModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
