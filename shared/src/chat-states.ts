// XEP-0085 Chat State Notifications: the five states and their elements on <message/>.
import { xml, type Element } from './xml.ts';

export const NS_CHAT_STATES = 'http://jabber.org/protocol/chatstates';

export const CHAT_STATES = ['active', 'composing', 'paused', 'inactive', 'gone'] as const;
export type ChatState = (typeof CHAT_STATES)[number];

/** <composing xmlns='http://jabber.org/protocol/chatstates'/> and friends (XEP-0085 §5). */
export function chatStateElement(state: ChatState): Element {
  return xml(state, { xmlns: NS_CHAT_STATES });
}

/** The chat state a message carries, if any (a message carries at most one, XEP-0085 §5.2). */
export function parseChatState(message: Element): ChatState | undefined {
  for (const node of message.children) {
    if (typeof node === 'string') continue;
    const name = node.getName();
    if (node.getNS() === NS_CHAT_STATES && (CHAT_STATES as readonly string[]).includes(name)) return name as ChatState;
  }
  return undefined;
}
