import {
  type OptionRule,
  booleanRule,
  enumRule,
  integerRule,
  seedListRule,
} from '../engine/config/option-rules';
import type { GossipModuleOwnOptions } from './interfaces';

const MAX_MS = 2 ** 31 - 1;

/**
 * The module's own options, in the engine's table format: the DTO builds its
 * class-validator rules from these rows and the engine's, so every option is
 * converted and checked alike.
 */
export const MODULE_OPTION_RULES: { readonly [K in keyof GossipModuleOwnOptions]-?: OptionRule } = {
  join: { ...seedListRule(1024), default: [] },
  joinOnBootstrap: enumRule(['wait', 'background'], 'wait'),
  joinAttempts: integerRule(1, 1000, 5),
  joinTimeout: integerRule(1, MAX_MS, 5000, 'ms'),
  joinBackoff: integerRule(1, MAX_MS, 200, 'ms'),
  joinMaxBackoff: integerRule(1, MAX_MS, 30_000, 'ms'),
  joinFailFast: booleanRule(false),
  leaveTimeout: integerRule(0, MAX_MS, 3000, 'ms'),
};
