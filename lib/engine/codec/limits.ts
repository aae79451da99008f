import type { RejectReason } from '../vocabulary/reject-reason';

/** A message refused while decoding, with the reason it is counted under. */
export class DecodeError extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Bounds that keep decoding from allocating more than a message could need. */
export interface DecodeLimits {
  maxKeySize: number;
  maxValueSize: number;
  maxArrayLength: number;
}

/** No string field may be longer than this (values are the longest). */
export function maxStrLength(limits: DecodeLimits): number {
  return Math.max(limits.maxValueSize, limits.maxKeySize, 1024);
}
