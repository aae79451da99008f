import type { Provider } from '@nestjs/common';
import { GossipClients } from './gossip-clients';
import { GOSSIP_CLIENTS_OPTIONS, type GossipClientsOptions } from './gossip-clients.options';

/**
 * The providers for `GossipClients`, to list where `GossipService` is
 * visible (the module importing `GossipModule`, or anywhere with `isGlobal`):
 *
 * ```ts
 * @Module({ imports: [GossipModule.forRoot(...)], providers: [...provideGossipClients({ addressKey: 'rpc' })] })
 * ```
 */
export function provideGossipClients(options: GossipClientsOptions = {}): Provider[] {
  return [{ provide: GOSSIP_CLIENTS_OPTIONS, useValue: options }, GossipClients];
}
