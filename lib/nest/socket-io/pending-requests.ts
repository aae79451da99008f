/** How a request ended. */
export interface RequestOutcome {
  /** Node ids that dropped out before answering: left, unreachable, or restarted as another server. */
  gone: string[];
  /** Node ids still silent at the timeout (empty unless `timedOut`). */
  silent: string[];
  timedOut: boolean;
  /** Set when the request could not be sent at all (`GossipMessageError`), or a server could not send its answer. */
  error?: Error;
}

/** What a request does with each answer, and once at the end. */
export interface RequestHandlers<A> {
  answer(answer: A, nodeId: string): void;
  done(outcome: RequestOutcome): void;
}

interface Pending<A> {
  /** Node id → adapter uid of each server still to answer. */
  readonly waiting: Map<string, string>;
  readonly gone: string[];
  readonly handlers: RequestHandlers<A>;
  readonly timer: NodeJS.Timeout;
}

/**
 * Requests this server sent to the other servers of its namespace
 * (`fetchSockets`, `serverSideEmit` and emits with acknowledgements), each
 * waiting for one answer per server it asked. A request ends as soon as every
 * server asked has answered or is known gone, or at its timeout: it never
 * waits for a server the cluster knows is gone, nor past the timeout.
 */
export class PendingRequests<A> {
  private readonly requests = new Map<string, Pending<A>>();

  /** Starts waiting on `waiting` (node id → server uid); ends at once when it is empty. */
  add(
    id: string,
    waiting: Map<string, string>,
    timeout: number,
    handlers: RequestHandlers<A>,
  ): void {
    if (waiting.size === 0) return handlers.done({ gone: [], silent: [], timedOut: false });
    const timer = setTimeout(() => this.end(id, true), timeout);
    timer.unref();
    this.requests.set(id, { waiting: new Map(waiting), gone: [], handlers, timer });
  }

  /** Hands `answer` from `nodeId` to request `id`, if it still waits for that node (else ignored). */
  answer(id: string, nodeId: string, answer: A): void {
    const request = this.requests.get(id);
    if (!request?.waiting.delete(nodeId)) return;
    request.handlers.answer(answer, nodeId);
    if (request.waiting.size === 0) this.end(id, false);
  }

  /**
   * Something changed about `nodeId`: each request waiting for it stops
   * waiting unless `serves(uid)` says the server it asked is still there.
   */
  recheck(nodeId: string, serves: (uid: string) => boolean): void {
    for (const [id, request] of this.requests) {
      const uid = request.waiting.get(nodeId);
      if (uid === undefined || serves(uid)) continue;
      request.waiting.delete(nodeId);
      request.gone.push(nodeId);
      if (request.waiting.size === 0) this.end(id, false);
    }
  }

  /** Ends request `id` with `error`: it could not be sent. */
  fail(id: string, error: Error): void {
    const request = this.requests.get(id);
    if (request) this.end(id, false, error);
  }

  /** `nodeId`, which request `id` waits for, cannot answer it: the request ends at once with `error`. */
  refused(id: string, nodeId: string, error: Error): void {
    if (this.requests.get(id)?.waiting.has(nodeId)) this.end(id, false, error);
  }

  /** Ends every request as timed out (the adapter closes). */
  clear(): void {
    for (const id of [...this.requests.keys()]) this.end(id, true);
  }

  get size(): number {
    return this.requests.size;
  }

  private end(id: string, timedOut: boolean, error?: Error): void {
    const request = this.requests.get(id);
    if (!request) return;
    this.requests.delete(id);
    clearTimeout(request.timer);
    const silent = timedOut || error ? [...request.waiting.keys()] : [];
    request.handlers.done({ gone: request.gone, silent, timedOut, ...(error ? { error } : {}) });
  }
}
