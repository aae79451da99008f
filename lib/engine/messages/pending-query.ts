import type { Timer } from '../vocabulary/clock';
import type { QueryAnswer, QueryResult } from '../vocabulary/messages';

/** A member asked, as the process (generation) that was asked. */
export interface Asked {
  id: string;
  generation: number;
}

/**
 * One `query` waiting for its answers. It completes as soon as every asked
 * member answered or dropped out (`gone`), or at its timeout with the rest
 * `silent`; whichever comes first, once.
 */
export class PendingQuery {
  private readonly waiting = new Map<string, Asked>();
  private readonly answers: QueryAnswer[] = [];
  private readonly gone: string[] = [];
  private done = false;
  timer: Timer | undefined;

  constructor(
    asked: Asked[],
    private readonly onAnswer: (answer: QueryAnswer) => void,
    private readonly onDone: (result: QueryResult) => void,
  ) {
    for (const a of asked) this.waiting.set(a.id, a);
  }

  get finished(): boolean {
    return this.done;
  }

  /** Members still owing an answer. */
  get outstanding(): Asked[] {
    return [...this.waiting.values()];
  }

  /** An answer from `answer.node`; ignored unless that member is still awaited. */
  answer(answer: QueryAnswer): void {
    if (this.done || !this.waiting.delete(answer.node)) return;
    this.answers.push(answer);
    this.onAnswer(answer);
    this.finishIfAnswered();
  }

  /** `id` left, was found unreachable or restarted: it will not answer. */
  lose(id: string): void {
    if (this.done || !this.waiting.delete(id)) return;
    this.gone.push(id);
    this.finishIfAnswered();
  }

  /** The timeout came (or this node closed): the members still awaited are silent. */
  expire(): void {
    if (this.done) return;
    this.finish(true);
  }

  /** Completes now when nobody is awaited any more (also right after asking nobody). */
  finishIfAnswered(): void {
    if (!this.done && this.waiting.size === 0) this.finish(false);
  }

  private finish(timedOut: boolean): void {
    this.done = true;
    this.timer?.cancel();
    const silent = [...this.waiting.keys()].sort();
    this.waiting.clear();
    this.onDone({ answers: this.answers, gone: this.gone.sort(), silent, timedOut });
  }
}
