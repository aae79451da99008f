import 'reflect-metadata';
import { ConsoleLogger, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { GossipService } from '../lib';
import { GossipIoAdapter } from '../lib/nest/socket-io';
import { AppModule } from './app.module';
import type { NodeConfig } from './node-config';
import { RegistryService } from './registry.service';
import { startRpc } from './rpc';

/** Nest's own start-up chatter, repeated per node, hides what the sample shows. */
const QUIET = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

class SampleLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    if (QUIET.has(String(rest.at(-1)))) return;
    super.log(message, ...rest);
  }
}

export interface RunningNode {
  config: NodeConfig;
  app: INestApplication;
  http: string;
  gossipAddr: string;
  /** Microservice TCP address, advertised to the cluster as the `rpc` entry. */
  rpc: string;
  /** Dies without leaving (see sample/rpc.ts). */
  crash: () => Promise<void>;
}

/** Boots one registry instance and starts its HTTP server. */
export async function startNode(config: NodeConfig, logLevels?: LogLevel[]): Promise<RunningNode> {
  const app = await NestFactory.create(AppModule.forNode(config), {
    logger: logLevels
      ? new SampleLogger({ logLevels, colors: Boolean(process.stdout.isTTY) })
      : false,
  });
  // Socket.IO across instances (the chat at /chat): rooms and emits go over gossip.
  app.useWebSocketAdapter(new GossipIoAdapter(app));
  const rpc = await startRpc(app); // any free port: peers learn it from the gossiped `rpc` entry
  await app.listen(config.httpPort, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const http = `http://127.0.0.1:${port}`;
  app.get(RegistryService).publish(http);
  const gossipAddr = app.get(GossipService).localNode().addr;
  return { config, app, http, gossipAddr, rpc: rpc.address, crash: rpc.crash };
}

export interface ClusterOptions {
  nodes: number;
  /** Gossip port of node-1; the others take the next ones. 0: free ports. */
  gossipPort: number;
  /** HTTP port of node-1; the others take the next ones. 0: free ports. */
  httpPort: number;
  interval: number;
  logLevels?: LogLevel[];
}

/**
 * Starts `nodes` instances on loopback, one after the other (`stagger` ms
 * apart), pushing each into `into` as it comes up; every one after the first
 * joins node-1.
 */
export async function startCluster(
  options: ClusterOptions,
  into: RunningNode[] = [],
  stagger = 0,
  onStarted: (node: RunningNode) => void = () => undefined,
): Promise<RunningNode[]> {
  const nodes = into;
  for (let i = 0; i < options.nodes; i++) {
    if (i > 0 && stagger > 0) await new Promise((r) => setTimeout(r, stagger));
    const port = (base: number) => (base === 0 ? 0 : base + i);
    nodes.push(
      await startNode(
        {
          id: `node-${i + 1}`,
          gossipAddr: `127.0.0.1:${port(options.gossipPort)}`,
          join: i === 0 ? [] : [nodes[0].gossipAddr],
          httpPort: port(options.httpPort),
          interval: options.interval,
        },
        options.logLevels,
      ),
    );
    onStarted(nodes[i]);
  }
  return nodes;
}

/** One line per node: what it sees. `node-1 sees node-1 (0.52) node-2 (0.47) node-3 (joining...)` */
export function membership(nodes: RunningNode[], loads = true): string {
  return nodes
    .map((n) => {
      const seen = n.app
        .get(RegistryService)
        .instances()
        .sort((a, b) => a.id.localeCompare(b.id))
        .map(
          (i) =>
            `${i.id}${i.status !== 'live' ? ` [${i.status}]` : loads ? ` (load ${i.load?.toFixed(2) ?? '…'})` : ''}`,
        );
      return `  ${n.config.id} sees ${seen.length} node${seen.length === 1 ? '' : 's'}: ${seen.join(', ')}`;
    })
    .join('\n');
}

/** Closes the nodes newest first; each leaves the cluster as it goes. */
export async function stopCluster(nodes: RunningNode[]): Promise<void> {
  for (const node of [...nodes].reverse()) await node.app.close();
}
