import { QueryStatus } from '../codec/messages';
import { decodePayload, encodePayload } from '../codec/payload';
import type { Clock } from '../vocabulary/clock';
import type { QueryAnswer, QueryHandler } from '../vocabulary/messages';

/** A handler's answer as it goes on the wire (QueryReply without its envelope). */
export interface HandlerReply {
  status: QueryStatus;
  value: Uint8Array;
  error: string;
}

const NOTHING = new Uint8Array(0);

/**
 * This node's query handlers, one per name, and how a query is answered:
 * the handler's value (awaited, at most the asker's remaining time), an
 * error answer when it throws, rejects, is late or returns what cannot be
 * encoded, and `no-handler` when there is none.
 */
export class QueryHandlers {
  private readonly handlers = new Map<string, QueryHandler>();

  constructor(
    private readonly selfId: string,
    private readonly clock: Clock,
    private readonly maxMessageSize: number,
    /** Longest error text sent back. */
    private readonly maxErrorText: number,
  ) {}

  add(name: string, handler: QueryHandler): () => void {
    if (this.handlers.has(name))
      throw new Error(
        `handle: query ${JSON.stringify(name)} already has a handler on node ${this.selfId}; remove it first (call the function handle() returned)`,
      );
    this.handlers.set(name, handler);
    return () => {
      if (this.handlers.get(name) === handler) this.handlers.delete(name);
    };
  }

  /** Answers query `name` with `payload` (decoded already) from `from`, within `timeout` ms. */
  async answer(
    name: string,
    payload: unknown,
    from: string,
    timeout: number,
  ): Promise<HandlerReply> {
    const handler = this.handlers.get(name);
    if (!handler)
      return this.failure(
        QueryStatus.NoHandler,
        `node ${this.selfId} has no handler for query ${JSON.stringify(name)}`,
      );
    let value: unknown;
    try {
      value = await this.within(timeout, () => handler(payload, from));
    } catch (err) {
      return this.failure(QueryStatus.Error, err instanceof Error ? err.message : String(err));
    }
    let bytes: Uint8Array;
    try {
      bytes = encodePayload(value);
    } catch (err) {
      return this.failure(
        QueryStatus.Error,
        `the answer cannot be encoded: ${(err as Error).message}`,
      );
    }
    if (bytes.length > this.maxMessageSize)
      return this.failure(
        QueryStatus.Error,
        `the answer is ${bytes.length} bytes, over maxMessageSize ${this.maxMessageSize}`,
      );
    return { status: QueryStatus.Ok, value: bytes, error: '' };
  }

  /** The handler's result, or a rejection when it takes longer than `timeout` ms. */
  private within(timeout: number, run: () => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(timeout, () =>
        reject(new Error(`the handler did not answer within ${timeout} ms`)),
      );
      Promise.resolve()
        .then(run)
        .then(
          (value) => {
            timer.cancel();
            resolve(value);
          },
          (err: unknown) => {
            timer.cancel();
            reject(err);
          },
        );
    });
  }

  private failure(status: QueryStatus, error: string): HandlerReply {
    return { status, value: NOTHING, error: error.slice(0, this.maxErrorText) };
  }
}

/** A reply as the asker's `QueryAnswer` (an undecodable value is an error answer). */
export function toAnswer(node: string, reply: HandlerReply): QueryAnswer {
  if (reply.status === QueryStatus.Ok) {
    try {
      return { node, ok: true, value: decodePayload(reply.value) };
    } catch (err) {
      return {
        node,
        ok: false,
        reason: 'error',
        error: `undecodable answer: ${(err as Error).message}`,
      };
    }
  }
  const reason = reply.status === QueryStatus.NoHandler ? 'no-handler' : 'error';
  return { node, ok: false, reason, error: reply.error };
}
