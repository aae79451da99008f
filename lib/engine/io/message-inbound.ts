import { DecodeError } from '../codec/limits';
import { type Message, MessageType, type UserTraffic } from '../codec/messages';
import type { StreamAnswer } from '../core/stream-sync';
import type { ClusterMessages } from '../messages/cluster-messages';
import { Outcome } from '../state/outcome';
import type { Messenger } from './messenger';

const USER_REQUESTS = new Set<number>([MessageType.Deliver, MessageType.Query]);
const USER_REPLIES = new Set<number>([MessageType.Delivered, MessageType.QueryReply]);

/** Whether an inbound stream message is user traffic (gossip.messages), not membership. */
export function isUserTraffic(message: Message): message is UserTraffic {
  return USER_REQUESTS.has(message.type) || USER_REPLIES.has(message.type);
}

/**
 * Answers an inbound Deliver or Query. Another cluster is told why (plain
 * StreamError, as membership streams are); a message in our own name, a
 * reply sent as a request or a malformed payload closes the stream
 * unanswered, counted under its reason: nothing of it reaches users.
 */
export async function answerUserTraffic(
  messages: ClusterMessages,
  message: UserTraffic,
  from: string,
  self: { id: string; clusterId: string },
  io: Messenger,
): Promise<StreamAnswer> {
  const answer: StreamAnswer = { outcome: new Outcome(), digestEntries: 0, deltaEntries: 0 };
  if (message.clusterId !== self.clusterId) {
    io.reject('cluster', from, `cluster ${JSON.stringify(message.clusterId)}`);
    answer.reply = {
      type: MessageType.StreamError,
      code: 'cluster',
      message: `node ${self.id} is in cluster ${JSON.stringify(self.clusterId)}, not ${JSON.stringify(message.clusterId)}`,
    };
    return answer;
  }
  if (message.from === self.id) {
    io.reject('self', from, 'a message claiming to come from this node');
    answer.refusal = 'message in our name';
    return answer;
  }
  try {
    if (message.type === MessageType.Deliver) answer.reply = messages.receiveDeliver(message);
    else if (message.type === MessageType.Query)
      answer.reply = await messages.receiveQuery(message);
    else {
      io.reject('type', from, `reply type ${message.type} sent as a request`);
      answer.refusal = 'unexpected message type';
    }
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    io.reject(err.reason, from, err.message);
    answer.refusal = 'malformed payload';
  }
  return answer;
}
