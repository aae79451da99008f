// Which leadership service answers for which provider instance. A wrapped
// method (`@RunOnLeader`) knows its role but not the application it runs in
// (one process may hold several, as tests do): the loader records each
// instance it finds, and the wrapper asks for `this`.

/** The one question a wrapped method asks before it runs. */
export interface LeadershipGuard {
  isLeader(role: string): boolean;
}

const guards = new WeakMap<object, LeadershipGuard>();

/** Called by the loader for every instance with guarded methods. */
export function bindLeadershipGuard(instance: object, guard: LeadershipGuard): void {
  guards.set(instance, guard);
}

/** Called at shutdown: the instance's guarded methods stop running. */
export function unbindLeadershipGuard(instance: object): void {
  guards.delete(instance);
}

/** The guard for `instance`, if the leadership module bound one. */
export function leadershipGuardOf(instance: unknown): LeadershipGuard | undefined {
  return typeof instance === 'object' && instance !== null ? guards.get(instance) : undefined;
}
