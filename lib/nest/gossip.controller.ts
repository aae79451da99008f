import { Controller, Get, NotFoundException, Param, Type } from '@nestjs/common';
import type { NodeMetadata, NodeState } from '../engine';
import { DEFAULT_CONTROLLER_PATH } from './constants';
import { GossipService } from './gossip.service';

/**
 * Read-only view of the membership, mounted by `controller: true` (at
 * `/gossip`) or `controller: { path }`. Add your own guards if the
 * network is not trusted: entries may hold anything the nodes publish.
 */
@Controller(DEFAULT_CONTROLLER_PATH)
export class GossipController {
  constructor(private readonly gossip: GossipService) {}

  /** Every known node (this one included) with its status. */
  @Get('nodes')
  nodes(): NodeMetadata[] {
    return this.gossip.nodes();
  }

  /** One node with its entries; 404 when unknown. */
  @Get('nodes/:id')
  node(@Param('id') id: string): NodeState {
    const node = this.gossip.node(id);
    if (!node) throw new NotFoundException(`unknown node ${JSON.stringify(id)}`);
    return node;
  }

  /** This node with its entries. */
  @Get('local')
  local(): NodeState {
    return this.gossip.localNode();
  }
}

/** `GossipController` mounted at `path` (a subclass, so two modules may use two paths). */
export function createGossipController(path?: string): Type<GossipController> {
  const route = (path ?? DEFAULT_CONTROLLER_PATH).replace(/^\/+|\/+$/g, '');
  if (route === DEFAULT_CONTROLLER_PATH) return GossipController;
  @Controller(route)
  class MountedGossipController extends GossipController {}
  return MountedGossipController;
}
