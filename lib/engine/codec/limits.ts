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
  /** Longest user message payload (`maxMessageSize`); absent: no binary field is accepted. */
  maxMessageSize?: number;
}

/** The decoder's bounds from the options: a list may hold every node or entry, plus `slack` fixed fields. */
export function decodeLimits(
  o: {
    maxKeySize: number;
    maxValueSize: number;
    maxNodes: number;
    maxEntriesPerNode: number;
    maxMessageSize?: number;
  },
  slack: number,
): DecodeLimits {
  const maxArrayLength = Math.max(o.maxNodes, o.maxEntriesPerNode) + slack;
  return {
    maxKeySize: o.maxKeySize,
    maxValueSize: o.maxValueSize,
    maxArrayLength,
    maxMessageSize: o.maxMessageSize,
  };
}

/** No string field may be longer than this (values are the longest). */
export function maxStrLength(limits: DecodeLimits): number {
  return Math.max(limits.maxValueSize, limits.maxKeySize, 1024);
}
