import { Decoder, Encoder } from '@msgpack/msgpack';
import { DecodeError } from './limits';
import { checkPayloadShape } from './shape-guard';

/** Past this size an encoding replaces the shared encoder, so its grown buffer is not kept. */
const KEEP_ENCODER_BELOW = 1024 * 1024;

let encoder = new Encoder();
// The shape guard has bounded every length by the bytes present before this runs.
const decoder = new Decoder();

/**
 * A user payload as MessagePack: what `publish`, `send` and `query` carry
 * (encoded once, whatever the number of targets). Throws what the encoder
 * throws for a value MessagePack cannot carry (a function, a symbol, a cycle).
 */
export function encodePayload(value: unknown): Uint8Array {
  const bytes = encoder.encode(value);
  if (bytes.length >= KEEP_ENCODER_BELOW) encoder = new Encoder();
  return bytes;
}

/** A payload from the wire; throws DecodeError when it is not one well-formed MessagePack value. */
export function decodePayload(bytes: Uint8Array): unknown {
  checkPayloadShape(bytes);
  try {
    return decoder.decode(bytes);
  } catch (err) {
    throw new DecodeError('decode', `bad payload: ${(err as Error).message}`);
  }
}
