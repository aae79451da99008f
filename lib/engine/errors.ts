/** An invalid option: the message names the field, the rule and the value. */
export class GossipConfigError extends Error {
  constructor(
    readonly field: string,
    rule: string,
    value: unknown,
  ) {
    super(`${field} ${rule} (got ${describe(value)})`);
    this.name = 'GossipConfigError';
  }
}

/** A join that reached no node; `causes` holds one error per address tried. */
export class GossipJoinError extends Error {
  constructor(
    message: string,
    readonly causes: Error[],
  ) {
    super(message);
    this.name = 'GossipJoinError';
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  return String(value);
}
