// The client's <user-agent/> in a SASL2 <authenticate/> (XEP-0388 §2.3): a stable id per client
// installation (a UUID, RECOMMENDED v4), and the software and device names it shows to the user.
import type { Element } from '@parley/shared';
import type { UserAgent } from '../../core/sign-in-extensions.ts';
import { SaslError } from '../../sasl/index.ts';

/** Bounds on what a client may make the server keep (the id keys FAST tokens; names are shown to admins). */
const MAX_ID_LENGTH = 128;
const MAX_NAME_LENGTH = 128;

function name(element: Element, child: string): string | null {
  const text = element.getChildText(child)?.trim();
  if (!text) return null;
  return text.length > MAX_NAME_LENGTH ? text.slice(0, MAX_NAME_LENGTH) : text;
}

/** Parses <user-agent/>; an over-long or empty id is malformed (it identifies the client's tokens). */
export function parseUserAgent(element: Element | undefined): UserAgent | null {
  if (!element) return null;
  const id = element.attrs.id;
  if (id !== undefined && (id.length === 0 || id.length > MAX_ID_LENGTH || !/^[\x21-\x7e]+$/.test(id))) {
    throw new SaslError('malformed-request', 'bad <user-agent/> id');
  }
  return { id: id ?? null, software: name(element, 'software'), device: name(element, 'device') };
}

/** "Software on device", for token listings. */
export function describeUserAgent(agent: UserAgent | null): string | null {
  if (!agent || (!agent.software && !agent.device)) return null;
  if (agent.software && agent.device) return `${agent.software} on ${agent.device}`;
  return agent.software ?? agent.device;
}
