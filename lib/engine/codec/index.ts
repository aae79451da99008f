// The codec's public face, for the engine's entry and for tests. Engine files
// import from the defining modules (./messages, ./encode...): CommonJS output
// turns `export *` into a getter per name, a call on every `MessageType.Syn`
// in code that a quiet node runs interpreted (too little traffic to optimize).
export * from './messages';
export * from './encode';
export * from './decode';
export { DecodeError, type DecodeLimits } from './limits';
export { checkShape } from './shape-guard';
export type { RejectReason } from '../vocabulary/reject-reason';
export { encodePayload, decodePayload } from './payload';
