import { ConfigurableModuleBuilder, type Type } from '@nestjs/common';
import { GOSSIP_MODULE_EXTRAS } from './constants';
import { createGossipController } from './gossip.controller';
import { createGossipUiController } from './ui/gossip-ui.controller';
import type {
  GossipControllerOptions,
  GossipModuleExtras,
  GossipModuleOptions,
} from './interfaces';

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
      controllers: extras.controller ? gossipControllers(extras.controller) : [],
      providers: [
        ...(definition.providers ?? []),
        { provide: GOSSIP_MODULE_EXTRAS, useValue: extras },
      ],
    }),
  )
  .build();

/** The JSON routes, plus the cluster page and its event stream unless `ui: false`. */
function gossipControllers(controller: true | GossipControllerOptions): Type[] {
  const { path, ui = true } = typeof controller === 'object' ? controller : {};
  return ui
    ? [createGossipController(path), createGossipUiController(path)]
    : [createGossipController(path)];
}

/** `GossipModule.forRoot` argument: engine options, lifecycle options and extras. */
export type GossipModuleForRootOptions = typeof OPTIONS_TYPE;
/** `GossipModule.forRootAsync` argument. */
export type GossipModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
