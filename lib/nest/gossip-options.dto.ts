import { Transform, plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidationError,
  validateSync,
} from 'class-validator';
import { GossipConfigError, resolveOptions } from '../engine';
import type { GossipModuleOptions } from './interfaces';

/** `host:port`, `:port`, `[v6]:port`; port 0 to 65535. */
const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[^\s:[\]]*):(?:0|[1-9]\d{0,4})$/;
/** `host` or `host:port` for seeds. */
const SEED = /^(?:\[[0-9a-fA-F:.]+\]|[^\s:[\]]+)(?::(?:0|[1-9]\d{0,4}))?$/;
const MAX_MS = 2 ** 31 - 1;

/** Numeric strings (from env or a config file) become numbers; anything else is left for the rule to refuse. */
const toNumber = () =>
  Transform(({ value }) =>
    typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value,
  );
/** `"a:1, b:2"` becomes `["a:1", "b:2"]`. */
const toList = () =>
  Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
      : value,
  );
const toBoolean = () =>
  Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value));

/**
 * The data options of `GossipModuleOptions`, as class-validator rules. Each
 * message is the rule; `validateGossipOptions` prefixes the option name and
 * appends the value. Hooks (registry, watcher, logger, clock, ...) are
 * objects, not data: the engine's `resolveOptions` checks them.
 */
export class GossipOptionsDto {
  @IsString({ message: 'must be host:port (":port" for all interfaces)' })
  @Matches(HOST_PORT, { message: 'must be host:port (":port" for all interfaces)' })
  bindAddr!: string;

  @IsOptional()
  @IsString({ message: 'must be a non-empty string of at most 256 characters' })
  @MinLength(1, { message: 'must be a non-empty string of at most 256 characters' })
  @MaxLength(256, { message: 'must be a non-empty string of at most 256 characters' })
  nodeId?: string;

  @IsOptional()
  @IsString({ message: 'must be host:port' })
  @Matches(HOST_PORT, { message: 'must be host:port' })
  advertiseAddr?: string;

  @IsOptional()
  @IsString({ message: 'must be a string of at most 256 characters' })
  @MaxLength(256, { message: 'must be a string of at most 256 characters' })
  clusterId?: string;

  @IsOptional()
  @toNumber()
  @IsInt({ message: 'must be an integer number of milliseconds from 1 to 3600000' })
  @Min(1, { message: 'must be an integer number of milliseconds from 1 to 3600000' })
  @Max(3_600_000, { message: 'must be an integer number of milliseconds from 1 to 3600000' })
  interval?: number;

  @IsOptional()
  @toNumber()
  @IsInt({ message: 'must be an integer from 512 to 65507' })
  @Min(512, { message: 'must be an integer from 512 to 65507' })
  @Max(65_507, { message: 'must be an integer from 512 to 65507' })
  maxPacketSize?: number;

  @IsOptional()
  @toNumber()
  @IsInt({ message: 'must be a positive integer number of milliseconds' })
  @Min(1, { message: 'must be a positive integer number of milliseconds' })
  nodeExpiry?: number;

  @IsOptional()
  @toNumber()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a positive number' })
  @IsPositive({ message: 'must be a positive number' })
  phiThreshold?: number;

  @IsOptional()
  @toNumber()
  @IsInt({ message: 'must be an integer number of milliseconds, 0 or more' })
  @Min(0, { message: 'must be an integer number of milliseconds, 0 or more' })
  tombstoneGracePeriod?: number;

  @IsOptional()
  @toNumber()
  @IsInt({ message: 'must be a positive integer number of milliseconds' })
  @Min(1, { message: 'must be a positive integer number of milliseconds' })
  resolveInterval?: number;

  @IsOptional()
  @IsString({ message: 'must be a valid Prometheus name prefix' })
  @Matches(/^$|^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: 'must be a valid Prometheus name prefix' })
  metricsPrefix?: string;

  @IsOptional()
  @toList()
  @IsArray({ message: 'must be an array of host[:port] strings' })
  @ArrayMaxSize(1024, { message: 'must hold at most 1024 seeds' })
  @IsString({ each: true, message: 'must be an array of host[:port] strings' })
  @Matches(SEED, { each: true, message: 'must be an array of host[:port] strings' })
  join?: string[];

  @IsOptional()
  @toNumber()
  @IsInt({ message: 'must be an integer from 1 to 1000' })
  @Min(1, { message: 'must be an integer from 1 to 1000' })
  @Max(1000, { message: 'must be an integer from 1 to 1000' })
  joinAttempts?: number;

  @IsOptional()
  @toNumber()
  @IsInt({ message: `must be an integer number of milliseconds from 1 to ${MAX_MS}` })
  @Min(1, { message: `must be an integer number of milliseconds from 1 to ${MAX_MS}` })
  @Max(MAX_MS, { message: `must be an integer number of milliseconds from 1 to ${MAX_MS}` })
  joinTimeout?: number;

  @IsOptional()
  @toNumber()
  @IsInt({ message: `must be an integer number of milliseconds from 1 to ${MAX_MS}` })
  @Min(1, { message: `must be an integer number of milliseconds from 1 to ${MAX_MS}` })
  @Max(MAX_MS, { message: `must be an integer number of milliseconds from 1 to ${MAX_MS}` })
  joinBackoff?: number;

  @IsOptional()
  @toNumber()
  @IsInt({ message: `must be an integer number of milliseconds from 1 to ${MAX_MS}` })
  @Min(1, { message: `must be an integer number of milliseconds from 1 to ${MAX_MS}` })
  @Max(MAX_MS, { message: `must be an integer number of milliseconds from 1 to ${MAX_MS}` })
  joinMaxBackoff?: number;

  @IsOptional()
  @toBoolean()
  @IsBoolean({ message: 'must be a boolean' })
  joinFailFast?: boolean;

  @IsOptional()
  @toNumber()
  @IsInt({ message: `must be an integer number of milliseconds from 0 to ${MAX_MS}` })
  @Min(0, { message: `must be an integer number of milliseconds from 0 to ${MAX_MS}` })
  @Max(MAX_MS, { message: `must be an integer number of milliseconds from 0 to ${MAX_MS}` })
  leaveTimeout?: number;
}

/** Keys the DTO may rewrite (numbers from strings, lists from comma-separated strings). */
const DATA_KEYS = [
  'bindAddr',
  'nodeId',
  'advertiseAddr',
  'clusterId',
  'interval',
  'maxPacketSize',
  'nodeExpiry',
  'phiThreshold',
  'tombstoneGracePeriod',
  'resolveInterval',
  'metricsPrefix',
  'join',
  'joinAttempts',
  'joinTimeout',
  'joinBackoff',
  'joinMaxBackoff',
  'joinFailFast',
  'leaveTimeout',
] as const;

/**
 * Transforms and validates module options; throws `GossipConfigError` whose
 * message names the option, the rule and the value (`bindAddr must be
 * host:port (":port" for all interfaces) (got "nope")`), listing every bad
 * option. Then runs the engine's own checks (limits, keys, hooks). Nothing
 * binds before this returns.
 */
export function validateGossipOptions(options: GossipModuleOptions): GossipModuleOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new GossipConfigError('options', 'must be an object', options);
  }
  // Only data keys go through class-transformer: hooks (registry, watcher...) keep their identity.
  const data: Record<string, unknown> = {};
  for (const key of DATA_KEYS) if (options[key] !== undefined) data[key] = options[key];
  const dto = plainToInstance(GossipOptionsDto, data);
  const problems = flatten(validateSync(dto, { forbidUnknownValues: false }));
  if (problems.length > 0) {
    const [first, ...rest] = problems;
    const error = new GossipConfigError(first.field, first.rule, first.value);
    if (rest.length > 0) {
      const more = rest.map((p) => new GossipConfigError(p.field, p.rule, p.value).message);
      error.message = [error.message, ...more].join('; ');
    }
    throw error;
  }
  const resolved: GossipModuleOptions = { ...options };
  for (const key of DATA_KEYS) {
    if (dto[key] !== undefined) (resolved as unknown as Record<string, unknown>)[key] = dto[key];
  }
  resolveOptions(resolved);
  return resolved;
}

interface Problem {
  field: string;
  rule: string;
  value: unknown;
}

function flatten(errors: ValidationError[], prefix = ''): Problem[] {
  const out: Problem[] = [];
  for (const e of errors) {
    const field = prefix + e.property;
    // One line per option: the distinct rules it broke.
    const rules = [...new Set(Object.values(e.constraints ?? {}))];
    if (rules.length > 0) out.push({ field, rule: rules.join(', '), value: e.value });
    if (e.children?.length) out.push(...flatten(e.children, `${field}.`));
  }
  return out;
}
