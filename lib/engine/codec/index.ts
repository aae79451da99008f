export * from './messages';
export * from './encode';
export * from './decode';
export { DecodeError, type DecodeLimits } from './limits';
export { checkShape } from './shape-guard';
export type { RejectReason } from '../vocabulary/reject-reason';
export { encodePayload, decodePayload } from './payload';
