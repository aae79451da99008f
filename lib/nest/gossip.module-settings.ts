import { GossipConfigError } from '../engine';

/**
 * Settings that shape the module graph (`ConfigurableModuleBuilder` extras),
 * so Nest needs them before an async factory runs: a factory that returns
 * one would be ignored. Each says where it goes instead.
 */
const MODULE_SETTINGS: Readonly<Record<string, string>> = {
  controller:
    'is not an option a forRootAsync factory can return: it mounts routes, which Nest builds before the factory runs; give it beside the factory: `GossipModule.forRootAsync({ useFactory, controller })`',
  isGlobal:
    'is not an option a forRootAsync factory can return: it shapes the module, which Nest builds before the factory runs; give it beside the factory: `GossipModule.forRootAsync({ useFactory, isGlobal })`',
  metrics:
    'is not an option a forRootAsync factory can return: the registry is chosen before the factory runs; give it beside the factory: `GossipModule.forRootAsync({ useFactory, metrics })`',
  registry:
    "is not a GossipModule option: choose the registry with the module's `metrics: { registry }`",
};

/**
 * The error for the first module setting found among the options (where
 * only a factory can put it: `forRoot` takes them out), else undefined.
 */
export function misplacedModuleSetting(options: object): GossipConfigError | undefined {
  const given = options as Record<string, unknown>;
  const name = Object.keys(MODULE_SETTINGS).find((key) => given[key] !== undefined);
  return name === undefined
    ? undefined
    : new GossipConfigError(name, MODULE_SETTINGS[name], given[name]);
}
