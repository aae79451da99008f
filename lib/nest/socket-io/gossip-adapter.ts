import {
  type BroadcastOptions,
  ClusterAdapter,
  type ClusterMessage,
  type ClusterResponse,
  MessageType,
  type Offset,
  type ServerId,
} from 'socket.io-adapter';
import {
  type Gossip,
  GossipConfigError,
  type GossipEvent,
  GossipMessageError,
  type PublishResult,
} from '../../engine';
import type { GossipAdapterOptions } from './adapter-options';
import { PendingRequests } from './pending-requests';
import {
  REFUSAL,
  type Refusal,
  encodeOptions,
  namespaceTopic,
  readIncoming,
  requestId,
  toPayload,
} from './wire';

/** The Socket.IO namespace an adapter serves (socket.io's `Namespace`), as far as its type goes. */
export interface AdapterNamespace {
  /** The namespace's name, `/` for the main one: it names the gossip topic. */
  readonly name: string;
}

/** Whether the namespace's server has `connectionStateRecovery` set (its `opts` are private in the types). */
function recovers(nsp: AdapterNamespace): boolean {
  const server = (nsp as { server?: { opts?: { connectionStateRecovery?: unknown } } }).server;
  return Boolean(server?.opts?.connectionStateRecovery);
}

/** An acknowledgement callback of `serverSideEmit`. */
type ServerSideAck = (err: Error | null, responses: unknown[]) => void;

/** Client acknowledgements of one emit, and the servers whose client count came in. */
interface ClientAcks {
  ack: (answer: unknown) => void;
  counted: Set<string>;
}

/**
 * The Socket.IO adapter of one namespace, on gossip: socket.io-adapter's
 * `ClusterAdapter` with gossip messages as the transport. Broadcasts go to
 * every member on the namespace's topic (`<channel>#<namespace>`), responses
 * to the one member that asked. Each server announces itself with a gossip
 * entry under that topic (value: its adapter uid), so the servers of a
 * namespace are the live members holding it: `serverCount()` counts them,
 * and a request stops waiting for a server as soon as gossip finds it gone.
 * Create it through `createGossipAdapter` or `GossipIoAdapter`.
 */
export class GossipAdapter extends ClusterAdapter {
  private readonly topic: string;
  private readonly pending = new PendingRequests<ClusterResponse>();
  private readonly clientAcks = new Map<string, ClientAcks>();
  /** Server uid → node id of the servers heard from, to address responses; and back. */
  private readonly nodeOfUid = new Map<string, string>();
  private readonly uidOfNode = new Map<string, string>();
  private readonly stop: Array<() => void>;

  /** @internal Made by `createGossipAdapter`. */
  constructor(
    nsp: AdapterNamespace,
    private readonly gossip: Gossip,
    private readonly options: Required<GossipAdapterOptions>,
  ) {
    super(nsp);
    // Recovery needs a message log the other servers can replay; gossip keeps none.
    if (recovers(nsp))
      throw new GossipConfigError(
        'connectionStateRecovery',
        'is not supported by the gossip adapter (it keeps no message log)',
        'set',
      );
    this.topic = namespaceTopic(options.channel, nsp.name);
    this.stop = [
      gossip.messages.subscribe(this.topic, (m) => {
        if (!m.local) this.receive(m.payload, m.from);
      }),
      gossip.subscribe((event) => this.onClusterEvent(event)),
    ];
  }

  /** Announces this server to the others of the namespace. */
  override init(): void {
    try {
      this.gossip.upsertLocal(this.topic, this.uid);
    } catch {
      // Left or closed: this server cannot be reached anyway.
    }
  }

  /** Stops listening and withdraws this server's announcement; pending requests end as timed out. */
  override close(): void {
    for (const unsubscribe of this.stop.splice(0)) unsubscribe();
    this.pending.clear();
    this.clientAcks.clear();
    try {
      this.gossip.deleteLocal(this.topic);
    } catch {
      // Left or closed: the cluster already stops counting this node.
    }
  }

  /** This server and every live member that announced a server for this namespace. */
  override serverCount(): Promise<number> {
    return Promise.resolve(1 + this.peers().size);
  }

  /**
   * This server's matching sockets and those of every other server of the
   * namespace. Rejects when a live server has not answered within the
   * timeout (`flags.timeout`, else `requestsTimeout`); servers found gone are not waited for.
   */
  override async fetchSockets(opts: BroadcastOptions): Promise<unknown[]> {
    const sockets: unknown[] = await super.fetchSockets({
      ...opts,
      flags: { ...opts.flags, local: true },
    });
    if (opts.flags?.local) return sockets;
    const id = requestId();
    return new Promise((resolve, reject) => {
      const timeout = opts.flags?.timeout ?? this.options.requestsTimeout;
      this.pending.add(id, this.peers(), timeout, {
        answer: (r) => {
          if (r.type === MessageType.FETCH_SOCKETS_RESPONSE) sockets.push(...r.data.sockets);
        },
        done: ({ timedOut, silent, error }) => {
          if (error) reject(error);
          else if (timedOut) reject(new Error(`timeout reached: ${silentServers(silent)}`));
          else resolve(sockets);
        },
      });
      this.request(id, {
        type: MessageType.FETCH_SOCKETS,
        data: { opts: encodeOptions(opts), requestId: id },
      });
    });
  }

  /**
   * Emits to the other servers; with an acknowledgement callback last, it
   * is called with one answer per other server (an error past `requestsTimeout`).
   */
  override async serverSideEmit(packet: unknown[]): Promise<void> {
    if (typeof packet[packet.length - 1] !== 'function') return super.serverSideEmit(packet);
    const ack = packet.pop() as ServerSideAck;
    const id = requestId();
    const responses: unknown[] = [];
    this.pending.add(id, this.peers(), this.options.requestsTimeout, {
      answer: (r) => {
        if (r.type === MessageType.SERVER_SIDE_EMIT_RESPONSE) responses.push(r.data.packet);
      },
      done: ({ timedOut, silent, error }) => {
        if (error) ack(error, responses);
        else
          ack(timedOut ? new Error(`timeout reached: ${silentServers(silent)}`) : null, responses);
      },
    });
    this.request(id, { type: MessageType.SERVER_SIDE_EMIT, data: { requestId: id, packet } });
  }

  /** An emit with client acknowledgements: servers found gone count as reaching no client. */
  override broadcastWithAck(
    packet: unknown,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (answer: unknown) => void,
  ): void {
    const local = { ...opts, flags: { ...opts.flags, local: true } };
    if (!opts.flags?.local) {
      const id = requestId();
      const acks: ClientAcks = { ack, counted: new Set() };
      const timeout = opts.flags?.timeout ?? this.options.requestsTimeout;
      this.clientAcks.set(id, acks);
      setTimeout(() => this.clientAcks.delete(id), timeout).unref();
      this.pending.add(id, this.peers(), timeout, {
        answer: (r, nodeId) => {
          if (r.type !== MessageType.BROADCAST_CLIENT_COUNT) return;
          acks.counted.add(nodeId);
          clientCountCallback(r.data.clientCount);
        },
        // A server gone before counting (or never asked) reached no client: count it as none.
        done: ({ gone, silent, error }) => {
          for (const _ of error ? [...gone, ...silent] : gone) clientCountCallback(0);
        },
      });
      this.request(id, {
        type: MessageType.BROADCAST,
        data: { packet, opts: encodeOptions(opts), requestId: id },
      });
    }
    super.broadcastWithAck(packet, local, clientCountCallback, ack);
  }

  /** Publishes to every member on the namespace's topic; does not wait for delivery. */
  protected override async doPublish(message: ClusterMessage): Promise<Offset> {
    settle(this.gossip.messages.publish(this.topic, toPayload(message)));
    // No offsets: connection state recovery is refused in the constructor.
    return '';
  }

  /** Sends a response to the member whose server asked. */
  protected override async doPublishResponse(
    requesterUid: ServerId,
    response: ClusterResponse,
  ): Promise<void> {
    const nodeId = this.nodeOfUid.get(requesterUid);
    if (nodeId === undefined) throw new Error(`no server ${requesterUid} known to answer`);
    try {
      settle(this.gossip.messages.send(nodeId, this.topic, toPayload(response)));
    } catch (err) {
      // Refused at once (too large, backlog): say so, or the asker waits for its timeout.
      if (err instanceof GossipMessageError) this.refuse(nodeId, response.data.requestId, err);
      throw err;
    }
  }

  /** Tells the member that asked that our response could not be sent, and why (a few bytes: it fits). */
  private refuse(nodeId: string, id: string, err: GossipMessageError): void {
    const refusal: Refusal = {
      type: REFUSAL,
      uid: this.uid,
      nsp: this.nsp.name,
      data: { requestId: id, reason: err.message },
    };
    try {
      settle(this.gossip.messages.send(nodeId, this.topic, refusal));
    } catch {
      // Refused too (backlog, or the asker is gone): it ends at its timeout, as before.
    }
  }

  /** The other live members serving this namespace: node id → server uid. */
  private peers(): Map<string, string> {
    const peers = new Map<string, string>();
    for (const { nodeId, value } of this.gossip.discovery.holders(this.topic))
      if (nodeId !== this.gossip.nodeId) peers.set(nodeId, value);
    return peers;
  }

  /** Publishes a request; one the transport refuses ends at once with its error. */
  private request(id: string, message: Parameters<ClusterAdapter['publish']>[0]): void {
    this.publishAndReturnOffset(message).catch((err: Error) => this.pending.fail(id, err));
  }

  private receive(payload: unknown, from: string): void {
    const incoming = readIncoming(payload);
    if (!incoming) return;
    if (incoming.kind === 'refusal') {
      const { requestId: id, reason } = incoming.refusal.data;
      return this.pending.refused(id, from, new Error(`${from} could not answer: ${reason}`));
    }
    const uid = incoming.kind === 'message' ? incoming.message.uid : incoming.response.uid;
    this.remember(uid, from);
    if (incoming.kind === 'message') return this.onMessage(incoming.message);
    const response = incoming.response;
    const id = response.data.requestId;
    if (response.type !== MessageType.BROADCAST_ACK) return this.pending.answer(id, from, response);
    const acks = this.clientAcks.get(id);
    // Acks only from servers whose count was taken, so the totals match.
    if (acks?.counted.has(from)) acks.ack(response.data.packet);
  }

  private remember(uid: string, nodeId: string): void {
    const previous = this.uidOfNode.get(nodeId);
    if (previous === uid) return;
    if (previous !== undefined) this.nodeOfUid.delete(previous);
    this.uidOfNode.set(nodeId, uid);
    this.nodeOfUid.set(uid, nodeId);
  }

  /** A member changed: requests stop waiting for it unless it still serves as the server they asked. */
  private onClusterEvent(event: GossipEvent): void {
    if ('local' in event && event.local) return;
    const { nodeId } = event;
    if (event.type === 'expired') {
      const uid = this.uidOfNode.get(nodeId);
      this.uidOfNode.delete(nodeId);
      if (uid !== undefined) this.nodeOfUid.delete(uid);
    }
    if (this.pending.size === 0) return;
    this.pending.recheck(
      nodeId,
      (uid) => this.gossip.discovery.holder(this.topic, nodeId)?.value === uid,
    );
  }
}

/** Lets a publish finish in the background: what became of it shows in the membership. */
function settle(result: Promise<PublishResult>): void {
  result.catch(() => undefined);
}

function silentServers(silent: string[]): string {
  return `no answer from ${silent.length} server${silent.length === 1 ? '' : 's'} (${silent.join(', ')})`;
}
