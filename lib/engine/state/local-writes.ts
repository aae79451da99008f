import { plural } from '../vocabulary/plural';
import type { NodeRecord } from './node-record';

export interface WriteLimits {
  maxKeySize: number;
  maxValueSize: number;
  maxEntriesPerNode: number;
}

/**
 * Sets `key` on our own record; throws TypeError or RangeError for what the
 * limits refuse. False when the key already held `value` (nothing written).
 */
export function upsertOwn(
  self: NodeRecord,
  key: string,
  value: string,
  limits: WriteLimits,
): boolean {
  checkKey(key, limits);
  if (typeof value !== 'string') throw new TypeError('upsertLocal: value must be a string');
  const size = Buffer.byteLength(value);
  if (size > limits.maxValueSize) {
    throw new RangeError(
      `upsertLocal: value of ${key} is ${size} bytes, over maxValueSize ${limits.maxValueSize}`,
    );
  }
  const existing = self.get(key);
  if (existing && !existing.deleted && existing.value === value) return false;
  if (!existing && self.size >= limits.maxEntriesPerNode) {
    throw new RangeError(
      `upsertLocal: ${plural(self.size, 'entry', 'entries')} already, maxEntriesPerNode is ${limits.maxEntriesPerNode}`,
    );
  }
  self.put({
    key,
    value,
    version: self.maxVersion + 1,
    deleted: false,
    internal: false,
    deletedAt: 0,
  });
  return true;
}

/**
 * Writes a tombstone for `key` on our own record (gossip spreads it,
 * collection drops it later). False when there was no live `key`.
 */
export function deleteOwn(
  self: NodeRecord,
  key: string,
  now: number,
  limits: WriteLimits,
): boolean {
  checkKey(key, limits);
  const existing = self.get(key);
  if (!existing || existing.deleted) return false;
  self.put({
    key,
    value: '',
    version: self.maxVersion + 1,
    deleted: true,
    internal: existing.internal,
    deletedAt: now,
  });
  return true;
}

function checkKey(key: string, limits: WriteLimits): void {
  if (typeof key !== 'string' || key.length === 0)
    throw new TypeError('key must be a non-empty string');
  // The engine keeps its own bookkeeping (accusations, see accusations.ts) under keys starting with NUL.
  if (key.charCodeAt(0) === 0)
    throw new TypeError('keys starting with "\\u0000" are reserved for the engine');
  const size = Buffer.byteLength(key);
  if (size > limits.maxKeySize) {
    throw new RangeError(`key is ${size} bytes, over maxKeySize ${limits.maxKeySize}`);
  }
}
