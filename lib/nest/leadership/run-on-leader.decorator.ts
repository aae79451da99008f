import { RUN_ON_LEADER_METADATA } from './leadership.constants';
import { leadershipGuardOf } from './leadership-guards';

/** What `@RunOnLeader` / `@RunOnOwner` record on the wrapped method. */
export interface RunOnLeaderMetadata {
  role: string;
}

/**
 * Runs the decorated method only on the node that leads `role`; elsewhere a
 * call returns undefined without running it. Made for `@nestjs/schedule`
 * (`@Cron`, `@Interval`, `@Timeout`, in either order: every instance keeps
 * its timer, only the leader's body runs), but it guards any method. The
 * check is made at each call (`GossipLeadershipService.isLeader`), so a node
 * that lost the role, or was paused, skips the run. Needs
 * `GossipLeadershipModule`; without it the method never runs.
 *
 * @example
 * @Cron('0 * * * *')
 * @RunOnLeader('reports')
 * async hourlyReport() { ... }
 */
export function RunOnLeader(role: string): MethodDecorator {
  if (typeof role !== 'string' || role.length === 0) {
    throw new TypeError(
      `@RunOnLeader: role must be a non-empty string (got ${JSON.stringify(role)})`,
    );
  }
  return (_target, _key, descriptor) => guard(descriptor, role);
}

/**
 * Runs each decorated job on the node that owns its name, so many jobs
 * spread across the instances (each name is a role of its own: the same
 * rule, handover, fencing token and quorum guard as `@RunOnLeader`).
 * `name` defaults to `ClassName.methodName`; give one when two classes
 * share a name or when the job must keep its owner across a rename.
 */
export function RunOnOwner(name?: string): MethodDecorator {
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new TypeError(
      `@RunOnOwner: name must be a non-empty string (got ${JSON.stringify(name)})`,
    );
  }
  return (target, key, descriptor) => {
    const owner = (target as { constructor?: { name?: string } }).constructor?.name ?? 'anonymous';
    return guard(descriptor, name ?? `${owner}.${String(key)}`);
  };
}

function guard<T>(
  descriptor: TypedPropertyDescriptor<T>,
  role: string,
): TypedPropertyDescriptor<T> {
  const original = descriptor.value as unknown;
  if (typeof original !== 'function') {
    throw new TypeError(`@RunOnLeader/@RunOnOwner(${role}) decorates a method`);
  }
  const method = original as (...args: unknown[]) => unknown;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    if (!leadershipGuardOf(this)?.isLeader(role)) return undefined;
    return method.apply(this, args);
  };
  Object.defineProperty(wrapped, 'name', { value: method.name });
  // Decorators applied before this one (e.g. @Interval below it) wrote on the original.
  for (const key of Reflect.getMetadataKeys(method) as unknown[]) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, method), wrapped);
  }
  const metadata: RunOnLeaderMetadata = { role };
  Reflect.defineMetadata(RUN_ON_LEADER_METADATA, metadata, wrapped);
  return { ...descriptor, value: wrapped as unknown as T };
}
