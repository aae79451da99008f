import { Transform, plainToInstance } from 'class-transformer';
import { ValidateBy, type ValidationArguments, validateSync } from 'class-validator';
import { GossipConfigError } from '../engine';
import { GOSSIP_OPTION_RULES } from '../engine/config/options';
import { GOSSIP_OPTION_LINKS } from '../engine/config/options';
import type { OptionProblem, OptionRule } from '../engine/config/option-rules';
import type { GossipModuleOptions, ResolvedGossipModuleOptions } from './interfaces';
import { MODULE_OPTION_RULES } from './module-option-rules';
import { misplacedModuleSetting } from './gossip.module-settings';

/**
 * Every module option (the engine's, less its test hooks and `registry`,
 * plus the join/leave options) as class-validator rules, built from the
 * option tables (`GOSSIP_OPTION_RULES`, `MODULE_OPTION_RULES`): each option
 * converts an environment string the way its row says (class-transformer),
 * then must meet its row's rule and the links between options
 * (class-validator), checked once. The constraint's message is the
 * table's: option, list entry, rule, value.
 */
export class GossipOptionsDto {
  [option: string]: unknown;
}

/** Engine options `GossipModule` does not take: test hooks, and the registry (its `metrics` setting). */
const NOT_MODULE_OPTIONS = new Set(['clock', 'transport', 'random', 'resolver', 'registry']);

const RULES: Readonly<Record<string, OptionRule>> = {
  ...Object.fromEntries(
    Object.entries(GOSSIP_OPTION_RULES).filter(([name]) => !NOT_MODULE_OPTIONS.has(name)),
  ),
  ...MODULE_OPTION_RULES,
};

/** What each validated DTO was refused for, by option: the table's words, kept for the error. */
const problems = new WeakMap<object, Map<string, OptionProblem>>();

for (const [name, rule] of Object.entries(RULES)) {
  // Hooks are code, not data: class-transformer leaves them out and they keep their identity.
  if (rule.kind !== 'hook')
    Transform(({ obj }) => rule.coerce(obj[name]))(GossipOptionsDto.prototype, name);
  optionConstraint(name, rule)(GossipOptionsDto.prototype, name);
}

/** One class-validator constraint per option: its row, then the links reported under it. */
function optionConstraint(name: string, rule: OptionRule): PropertyDecorator {
  const links = GOSSIP_OPTION_LINKS.filter((link) => link.name === name);
  return ValidateBy({
    name: 'gossipOption',
    validator: {
      validate(value: unknown, args?: ValidationArguments): boolean {
        if (value === undefined && !rule.required) return true;
        const dto = args?.object as Record<string, unknown>;
        const problem =
          rule.problem(value) ??
          links.map((link) => link.problem(dto)).find((p) => p !== undefined);
        if (!problem) return true;
        const found = problems.get(dto) ?? new Map<string, OptionProblem>();
        problems.set(dto, found.set(name, problem));
        return false;
      },
      defaultMessage(args?: ValidationArguments): string {
        return configError(name, problems.get(args?.object ?? {})?.get(name)).message;
      },
    },
  });
}

function configError(name: string, problem: OptionProblem | undefined): GossipConfigError {
  const { rule, value, field } = problem ?? { rule: RULES[name].message, value: undefined };
  return new GossipConfigError(name + (field ?? ''), rule, value);
}

/**
 * Converts and validates module options in one class-validator pass; throws
 * `GossipConfigError` whose message names the option (and the list entry),
 * the rule and the value (`join[0] must be host[:port] (an IP or a DNS
 * name), without a scheme: drop "http://" (got "http://10.0.0.1:7946")`),
 * listing every bad option. Returns them converted, defaults filled in.
 * Nothing binds before this returns, and the engine does not check them again.
 */
export function validateGossipOptions(options: GossipModuleOptions): ResolvedGossipModuleOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new GossipConfigError('options', 'must be an object', options);
  }
  const misplaced = misplacedModuleSetting(options);
  if (misplaced) throw misplaced;
  const given = options as Record<string, unknown>;
  const data: Record<string, unknown> = {};
  const hooks: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(RULES)) {
    const value = given[name] !== undefined ? given[name] : rule.default;
    if (value !== undefined) (rule.kind === 'hook' ? hooks : data)[name] = value;
  }
  const dto = Object.assign(plainToInstance(GossipOptionsDto, data), hooks);
  const errors = validateSync(dto, { forbidUnknownValues: false }).map((error) =>
    configError(error.property, problems.get(dto)?.get(error.property)),
  );
  if (errors.length > 0) {
    const [first, ...rest] = errors;
    if (rest.length > 0) first.message = errors.map((e) => e.message).join('; ');
    throw first;
  }
  return { ...options, ...dto } as unknown as ResolvedGossipModuleOptions;
}
