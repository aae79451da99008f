import type { GossipModuleOptions } from '../lib';

/**
 * `GossipModule` options from environment variables, the way
 * deploy/kubernetes/deployment.yaml sets them (docs/kubernetes.md):
 *
 * GOSSIP_NODE_ID, GOSSIP_BIND_ADDR (default 0.0.0.0:7946), GOSSIP_ADVERTISE_ADDR,
 * GOSSIP_JOIN (comma-separated), GOSSIP_RESOLVE_INTERVAL and GOSSIP_LEAVE_TIMEOUT (ms),
 * GOSSIP_SECRET_KEYS (comma-separated; the first seals), GOSSIP_CLUSTER_ID.
 *
 * Numbers are passed on as parsed: the module's validation names the field
 * of a bad one before anything binds.
 */
export function gossipOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): GossipModuleOptions {
  const list = (value?: string) =>
    (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const number = (name: string) => (env[name] ? Number(env[name]) : undefined);
  const keys = list(env.GOSSIP_SECRET_KEYS);
  const options: GossipModuleOptions = {
    bindAddr: env.GOSSIP_BIND_ADDR || '0.0.0.0:7946',
    nodeId: env.GOSSIP_NODE_ID || undefined,
    advertiseAddr: env.GOSSIP_ADVERTISE_ADDR || undefined,
    clusterId: env.GOSSIP_CLUSTER_ID || undefined,
    join: list(env.GOSSIP_JOIN),
    resolveInterval: number('GOSSIP_RESOLVE_INTERVAL'),
    leaveTimeout: number('GOSSIP_LEAVE_TIMEOUT'),
    secretKeys: keys.length > 0 ? keys : undefined,
  };
  // Unset variables leave the option out, so the defaults apply.
  for (const key of Object.keys(options) as (keyof GossipModuleOptions)[])
    if (options[key] === undefined) delete options[key];
  return options;
}
