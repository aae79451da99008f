import { isIP } from 'node:net';
import { parseHostPort } from '../vocabulary/address';
import { decodeSecretKey } from '../codec/keyring';

/** A number, or a numeric string as read from the environment (`"500"`). */
export type NumberLike = number | string;
/** A list, or one comma-separated string as read from the environment (`"a:7946,b:7946"`). */
export type ListLike<T> = T[] | string;
/** A boolean, or `"true"` / `"false"` as read from the environment. */
export type BooleanLike = boolean | string;

/**
 * `T` with the types the environment gives: numbers may be numeric strings,
 * string lists one comma-separated string, booleans `"true"`/`"false"`.
 * What `GossipModule` accepts (from a `ConfigService`, say).
 */
export type FromEnvironment<T> = {
  [K in keyof T]: T[K] extends number | undefined
    ? NumberLike | Exclude<T[K], number>
    : T[K] extends boolean | undefined
      ? BooleanLike | Exclude<T[K], boolean>
      : T[K] extends Array<infer E> | undefined
        ? [E] extends [string | Uint8Array]
          ? ListLike<E> | Exclude<T[K], E[]>
          : T[K]
        : T[K];
};

/** What is wrong with one option value: `field` narrows it (`join[2]`). */
export interface OptionProblem {
  rule: string;
  value: unknown;
  /** Appended to the option name, e.g. `[2]` for the third seed. */
  field?: string;
}

/**
 * One row of an options table: the rule an option's value must meet, how a
 * string from the environment becomes that value, and the default. The
 * engine's `resolveOptions` and the Nest validation both read these rows.
 */
export interface OptionRule {
  readonly kind: 'integer' | 'number' | 'boolean' | 'string' | 'enum' | 'address' | 'list' | 'hook';
  readonly required?: boolean;
  readonly default?: unknown;
  /** Bounds of an `integer` (inclusive) or `number` (`min` exclusive when 0). */
  readonly min?: number;
  readonly max?: number;
  /** Allowed values of an `enum`. */
  readonly values?: readonly string[];
  /** The rule as read after the option name: `must be an integer from 1 to 3600000, in ms`. */
  readonly message: string;
  /** Turns an environment string into the option's type; other values pass unchanged. */
  coerce(value: unknown): unknown;
  /** The first problem with a (coerced) value, or undefined when the value is valid. */
  problem(value: unknown): OptionProblem | undefined;
}

const same = (value: unknown): unknown => value;

const NUMERIC = /^\s*-?\d+(\.\d+)?(e[+-]?\d+)?\s*$/i;
/** `"500"` becomes 500; anything else is left for the rule to refuse. */
export function numberFromEnv(value: unknown): unknown {
  return typeof value === 'string' && NUMERIC.test(value) ? Number(value) : value;
}

/** `"a, b"` becomes `["a", "b"]`. */
export function listFromEnv(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function booleanFromEnv(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim().toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : value;
}

/** An integer in [min, max]; `unit: 'ms'` says so in the message. */
export function integerRule(min: number, max: number, fallback?: number, unit?: 'ms'): OptionRule {
  const bound = max >= Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
  const message = `must be an integer ${bound}${unit ? `, in ${unit}` : ''}`;
  return {
    kind: 'integer',
    min,
    max,
    default: fallback,
    message,
    coerce: numberFromEnv,
    problem: (v) =>
      typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
        ? undefined
        : { rule: message, value: v },
  };
}

/** A finite number above 0. */
export function positiveNumberRule(fallback?: number): OptionRule {
  const message = 'must be a positive number';
  return {
    kind: 'number',
    min: 0,
    default: fallback,
    message,
    coerce: numberFromEnv,
    problem: (v) =>
      typeof v === 'number' && Number.isFinite(v) && v > 0
        ? undefined
        : { rule: message, value: v },
  };
}

export function booleanRule(fallback?: boolean): OptionRule {
  const message = 'must be a boolean';
  return {
    kind: 'boolean',
    default: fallback,
    message,
    coerce: booleanFromEnv,
    problem: (v) => (typeof v === 'boolean' ? undefined : { rule: message, value: v }),
  };
}

export function enumRule(values: readonly string[], fallback?: string): OptionRule {
  const message = `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return {
    kind: 'enum',
    values,
    default: fallback,
    message,
    coerce: (v) => (typeof v === 'string' ? v.trim() : v),
    problem: (v) =>
      typeof v === 'string' && values.includes(v) ? undefined : { rule: message, value: v },
  };
}

/** A string of `minBytes` to `maxBytes` UTF-8 bytes, matching `pattern` when given. */
export function stringRule(
  message: string,
  minBytes: number,
  maxBytes: number,
  fallback?: string,
  pattern?: RegExp,
): OptionRule {
  return {
    kind: 'string',
    default: fallback,
    message,
    coerce: same,
    problem: (v) => {
      if (typeof v !== 'string') return { rule: message, value: v };
      const bytes = Buffer.byteLength(v);
      if (bytes < minBytes || bytes > maxBytes || (pattern && !pattern.test(v)))
        return { rule: message, value: v };
      return undefined;
    },
  };
}

/** What an unset variable turns into in a template string (`${process.env.POD_IP}:4000`). */
const UNSET = new Set(['undefined', 'null', 'nan']);
const DNS_LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/**
 * Why `host` is neither an IP literal nor a DNS name others can look up
 * (`undefined` from an unset variable, `10.0.0`, `a..b`); undefined when it
 * is one. The empty host (every interface) is the caller's to judge.
 */
export function hostProblem(host: string): string | undefined {
  if (host === '' || isIP(host) !== 0) return undefined;
  const quoted = JSON.stringify(host);
  if (UNSET.has(host.toLowerCase()))
    return `${quoted} is not a host: was an environment variable unset?`;
  const labels = (host.endsWith('.') ? host.slice(0, -1) : host).split('.');
  const valid =
    host.length <= 253 &&
    labels.every((label) => DNS_LABEL.test(label)) &&
    !/^\d+$/.test(labels[labels.length - 1]);
  return valid ? undefined : `${quoted} is neither an IP address nor a DNS name`;
}

/**
 * Why `text` is not `host:port` (or `host[:port]` when `portOptional`), in
 * words that point at the fix; undefined when it is fine.
 */
export function hostPortProblem(
  text: string,
  generic: string,
  portOptional = false,
): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme) return `${generic}, without a scheme: drop "${scheme[0]}"`;
  if (/\/|\s/.test(text)) return `${generic}: no path or spaces`;
  const parsed = parseHostPort(text, portOptional ? 1 : undefined);
  if (parsed) {
    const host = hostProblem(parsed.host);
    return host ? `${generic}; ${host}` : undefined;
  }
  const port = /:(\d+)$/.exec(text.startsWith('[') ? text.slice(text.indexOf(']')) : text);
  if (port && Number(port[1]) > 65535) return `${generic}, with a port from 0 to 65535`;
  return generic;
}

/** The rule of an address others dial (`advertiseAddr`, a microservice address). */
export const CONCRETE_ADDRESS = 'must be host:port with a concrete host and a non-zero port';

/**
 * Why `value` is not an address others can dial: `host:port` with an IP or
 * DNS name (not `undefined`, the unspecified host or port 0); undefined when it is.
 */
export function concreteAddressProblem(
  value: unknown,
  message = CONCRETE_ADDRESS,
): string | undefined {
  if (typeof value !== 'string') return message;
  const rule = hostPortProblem(value, message);
  if (rule) return rule;
  const parsed = parseHostPort(value);
  return parsed && (['', '0.0.0.0', '::'].includes(parsed.host) || parsed.port === 0)
    ? message
    : undefined;
}

/** `host:port`; `concrete` refuses the unspecified host and port 0 (an address others dial). */
export function addressRule(message: string, concrete = false): OptionRule {
  return {
    kind: 'address',
    message,
    coerce: (v) => (typeof v === 'string' ? v.trim() : v),
    problem: (v) => {
      const rule = concrete
        ? concreteAddressProblem(v, message)
        : typeof v === 'string'
          ? hostPortProblem(v, message)
          : message;
      return rule ? { rule, value: v } : undefined;
    },
  };
}

/** Seeds: `host[:port]` strings, or one comma-separated string; each bad entry is named. */
export function seedListRule(maxSeeds: number): OptionRule {
  const message = 'must be a list of host[:port] seeds (an array, or "a:7946,b:7946")';
  return {
    kind: 'list',
    message,
    coerce: listFromEnv,
    problem: (v) => {
      if (!Array.isArray(v)) return { rule: message, value: v };
      if (v.length > maxSeeds) return { rule: `must hold at most ${maxSeeds} seeds`, value: v };
      for (let i = 0; i < v.length; i++) {
        const seed: unknown = v[i];
        const generic = 'must be host[:port] (an IP or a DNS name)';
        let rule = typeof seed === 'string' ? hostPortProblem(seed.trim(), generic, true) : generic;
        if (!rule && parseHostPort((seed as string).trim(), 1)?.host === '') rule = generic;
        if (rule) return { field: `[${i}]`, rule, value: seed };
      }
      return undefined;
    },
  };
}

/** AES-256-GCM keys: an array, or one comma-separated string, of 32-byte keys. */
export function secretKeysRule(): OptionRule {
  const message = 'must be an array of 32-byte keys (raw, base64 or hex)';
  return {
    kind: 'list',
    message,
    coerce: listFromEnv,
    problem: (v) => {
      if (!Array.isArray(v)) return { rule: message, value: v };
      const bad = v.findIndex((key) => !decodeSecretKey(key));
      return bad < 0
        ? undefined
        : { field: `[${bad}]`, rule: 'must be 32 bytes (raw, base64 or hex)', value: v[bad] };
    },
  };
}

/** An object or function supplied by code (registry, watcher, logger, test hooks): never from the environment. */
export function hookRule(type: 'object' | 'function'): OptionRule {
  const message = `must be ${type === 'object' ? 'an object' : 'a function'}`;
  return {
    kind: 'hook',
    message,
    coerce: same,
    problem: (v) =>
      (type === 'object' ? v !== null && typeof v === 'object' : typeof v === 'function')
        ? undefined
        : { rule: message, value: v },
  };
}
