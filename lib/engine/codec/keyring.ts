import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { GossipConfigError } from '../vocabulary/errors';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes sealing adds to a message: nonce and authentication tag. */
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

/** Accepts 32 raw bytes, or 32 bytes as hex (64 chars) or base64; undefined otherwise. */
export function decodeSecretKey(key: unknown): Buffer | undefined {
  if (key instanceof Uint8Array) return key.length === KEY_BYTES ? Buffer.from(key) : undefined;
  if (typeof key !== 'string') return undefined;
  if (/^[0-9a-fA-F]{64}$/.test(key)) return Buffer.from(key, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(key)) {
    const bytes = Buffer.from(key, 'base64');
    return bytes.length === KEY_BYTES ? bytes : undefined;
  }
  return undefined;
}

/**
 * AES-256-GCM with a random 96-bit nonce. The first key seals; every key is
 * tried to open, so keys can be rotated across a live cluster.
 */
export class Keyring {
  constructor(private keys: Buffer[]) {}

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /**
   * Replaces the keys (decoded by the caller) for the next message. A sealed
   * ring stays sealed and a plain one plain: `given` is what the user passed,
   * for the error.
   */
  rotate(keys: Buffer[], given: unknown): void {
    if (keys.length > 0 !== this.enabled) {
      throw new GossipConfigError(
        'secretKeys',
        this.enabled
          ? 'cannot be emptied on a sealed node (restart it without keys)'
          : 'cannot be set on a plain node (restart it with keys)',
        given,
      );
    }
    this.keys = [...keys];
  }

  /** nonce | ciphertext | tag, with `header` authenticated but not encrypted. */
  seal(header: Uint8Array, plaintext: Uint8Array): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0], nonce);
    cipher.setAAD(header);
    const body = cipher.update(plaintext);
    cipher.final();
    return Buffer.concat([nonce, body, cipher.getAuthTag()]);
  }

  /** The plaintext, or undefined when no key authenticates it. */
  open(header: Uint8Array, sealed: Uint8Array): Buffer | undefined {
    if (sealed.length < SEAL_OVERHEAD) return undefined;
    const nonce = sealed.subarray(0, NONCE_BYTES);
    const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce);
        decipher.setAAD(header);
        decipher.setAuthTag(tag);
        const plain = decipher.update(body);
        decipher.final();
        return plain;
      } catch {
        // wrong key or tampered bytes: try the next key
      }
    }
    return undefined;
  }
}
