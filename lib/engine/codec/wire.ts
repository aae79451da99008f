import { decodeMessage, readHeader } from './decode';
import { concat, encodeMessage } from './encode';
import { DecodeError, DecodeLimits } from './limits';
import { Message, MessageType, Outgoing, PROTOCOL_VERSION } from './messages';
import { Keyring, SEAL_OVERHEAD } from './keyring';

/**
 * Encodes and decodes whole messages, sealing them with AES-256-GCM when
 * keys are set. A node with keys refuses plain messages and vice versa.
 */
export class Wire {
  private readonly header = Uint8Array.of(MessageType.Sealed, PROTOCOL_VERSION);

  constructor(
    private readonly keyring: Keyring,
    private readonly limits: DecodeLimits,
  ) {}

  /** Bytes sealing adds to every message. */
  get overhead(): number {
    return this.keyring.enabled ? 2 + SEAL_OVERHEAD : 0;
  }

  encode(message: Outgoing): Uint8Array {
    const plain = encodeMessage(message);
    if (!this.keyring.enabled) return plain;
    return concat([this.header, this.keyring.seal(this.header, plain)]);
  }

  /** Throws DecodeError with the reason for anything it refuses. */
  decode(bytes: Uint8Array): Message {
    const type = readHeader(bytes);
    if (this.keyring.enabled) {
      if (type !== MessageType.Sealed)
        throw new DecodeError('unsealed', 'plain message to a node with secret keys');
      const plain = this.keyring.open(bytes.subarray(0, 2), bytes.subarray(2));
      if (!plain) throw new DecodeError('auth', 'no key authenticates the message');
      return decodeMessage(plain, this.limits);
    }
    if (type === MessageType.Sealed)
      throw new DecodeError('sealed', 'sealed message to a node without secret keys');
    return decodeMessage(bytes, this.limits);
  }
}
