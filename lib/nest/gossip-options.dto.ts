import { Transform, plainToInstance } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Max,
  Min,
  ValidateBy,
  ValidationError,
  validateSync,
} from 'class-validator';
import { GOSSIP_OPTION_RULES, GossipConfigError, resolveOptions } from '../engine';
import type { OptionProblem, OptionRule } from '../engine/config/option-rules';
import type { GossipModuleOptions, ResolvedGossipModuleOptions } from './interfaces';
import { MODULE_OPTION_RULES } from './module-option-rules';

/**
 * The data options (engine and module) as class-validator rules, built from
 * the option tables (`GOSSIP_OPTION_RULES`, `MODULE_OPTION_RULES`): each
 * option converts an environment string the way its row says, then must
 * meet its row's rule. Hooks (watcher, logger, ...) and `secretKeys` are not
 * data to transform: the engine's `resolveOptions` checks them.
 */
export class GossipOptionsDto {
  [option: string]: unknown;
}

const DATA_RULES: Readonly<Record<string, OptionRule>> = {
  ...Object.fromEntries(
    Object.entries(GOSSIP_OPTION_RULES).filter(
      ([name, rule]) => rule.kind !== 'hook' && name !== 'secretKeys',
    ),
  ),
  ...MODULE_OPTION_RULES,
};

for (const [name, rule] of Object.entries(DATA_RULES)) {
  for (const decorate of decoratorsFor(name, rule)) decorate(GossipOptionsDto.prototype, name);
}

/** class-validator (and class-transformer) decorators equivalent to one table row. */
function decoratorsFor(name: string, rule: OptionRule): PropertyDecorator[] {
  const message = rule.message;
  const out: PropertyDecorator[] = [Transform(({ value }) => rule.coerce(value))];
  if (!rule.required) out.push(IsOptional());
  switch (rule.kind) {
    case 'integer':
      out.push(IsInt({ message }), Min(rule.min ?? 0, { message }));
      if (rule.max !== undefined) out.push(Max(rule.max, { message }));
      return out;
    case 'number':
      out.push(
        IsNumber({ allowNaN: false, allowInfinity: false }, { message }),
        IsPositive({ message }),
      );
      return out;
    case 'boolean':
      out.push(IsBoolean({ message }));
      return out;
    case 'enum':
      out.push(IsIn([...(rule.values ?? [])], { message }));
      return out;
    case 'string':
      out.push(IsString({ message }));
      break;
  }
  // Addresses, lists and string bounds: the row's own check, registered with class-validator.
  out.push(
    ValidateBy({
      name: `gossip-${name}`,
      validator: { validate: (value) => rule.problem(value) === undefined },
    }),
  );
  return out;
}

/**
 * Converts and validates module options; throws `GossipConfigError` whose
 * message names the option (and the list entry), the rule and the value
 * (`join[0] must be host[:port] (an IP or a DNS name), without a scheme:
 * drop "http://" (got "http://10.0.0.1:7946")`), listing every bad option.
 * Then runs the engine's own checks (keys, hooks, limits together). Nothing
 * binds before this returns.
 */
export function validateGossipOptions(options: GossipModuleOptions): ResolvedGossipModuleOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new GossipConfigError('options', 'must be an object', options);
  }
  if ((options as { registry?: unknown }).registry !== undefined) {
    throw new GossipConfigError(
      'registry',
      "is not a GossipModule option: choose the registry with the module's `metrics: { registry }`",
      (options as { registry?: unknown }).registry,
    );
  }
  // Only data keys go through class-transformer: hooks (watcher, logger...) keep their identity.
  const given = options as Record<string, unknown>;
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(DATA_RULES)) if (given[key] !== undefined) data[key] = given[key];
  const dto = plainToInstance(GossipOptionsDto, data);
  const errors = validateSync(dto, { forbidUnknownValues: false }).map((e) => explain(e, dto));
  if (errors.length > 0) {
    const [first, ...rest] = errors;
    if (rest.length > 0) first.message = [first, ...rest].map((e) => e.message).join('; ');
    throw first;
  }
  const resolved: Record<string, unknown> = { ...options };
  for (const [key, rule] of Object.entries(DATA_RULES)) {
    resolved[key] = dto[key] !== undefined ? dto[key] : rule.default;
  }
  resolveOptions(resolved as unknown as ResolvedGossipModuleOptions);
  return resolved as unknown as ResolvedGossipModuleOptions;
}

/** The table's words for what class-validator refused: option, list entry, rule, value. */
function explain(error: ValidationError, dto: GossipOptionsDto): GossipConfigError {
  const rule = DATA_RULES[error.property];
  const problem: OptionProblem = rule?.problem(dto[error.property]) ?? {
    rule: rule?.message ?? Object.values(error.constraints ?? {}).join(', '),
    value: error.value,
  };
  return new GossipConfigError(error.property + (problem.field ?? ''), problem.rule, problem.value);
}
