// XEP-0115 entity capabilities of the panel: the disco#info it answers (XEP-0030) and the <c/> its
// presence carries, so that a server learns once what the panel wants — the '+notify' features
// decide which PEP events it is sent (XEP-0163 §4.3, avatars: XEP-0084 §4.4).
import { NS, NS_CHAT_STATES, NS_RECEIPTS, NS_STANZA_IDS, xml, type Element } from '@parley/shared';
import { NS_OOB } from './message-parts.ts';

/** §4: a URI naming the software; the verification string is appended after '#'. */
export const CAPS_NODE = 'urn:parley:webclient';

export const CLIENT_IDENTITY = { category: 'client', type: 'web', name: 'Parley' } as const;

export const CLIENT_FEATURES: readonly string[] = [
  NS.discoInfo, NS.caps, NS.ping, NS.version, NS_CHAT_STATES, NS_RECEIPTS, NS_STANZA_IDS, NS.vcardUpdate,
  NS.avatarMetadata, `${NS.avatarMetadata}+notify`, NS_OOB,
  // XEP-0402 §3.4: bookmarks added or removed on our other devices
  `${NS.bookmarks}+notify`,
];

/** The disco#info <query/> the panel answers (with `node` echoed when asked about its caps, §6.2). */
export function discoInfoQuery(node?: string): Element {
  return xml('query', { xmlns: NS.discoInfo, node },
    xml('identity', { ...CLIENT_IDENTITY }),
    ...CLIENT_FEATURES.map((feature) => xml('feature', { var: feature })));
}

const encoder = new TextEncoder();

/** §5.1 step 2: sorted by octets ("i;octet"), not by UTF-16 code units or locale. */
function octetOrder(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** §5.1 steps 1–6: the text that is hashed (identities 'category/type/lang/name<', then features '<'). */
export function verificationText(identities: readonly { category: string; type: string; lang?: string; name?: string }[], features: readonly string[]): string {
  const names = identities.map((identity) => `${identity.category}/${identity.type}/${identity.lang ?? ''}/${identity.name ?? ''}`);
  let text = '';
  for (const name of [...names].sort(octetOrder)) text += `${name}<`;
  for (const feature of [...features].sort(octetOrder)) text += `${feature}<`;
  return text;
}

/** §5.1 step 7: base64 of the SHA-1 of the text; null where the browser has no WebCrypto (not a secure context). */
export async function verificationString(text: string): Promise<string | null> {
  if (typeof crypto === 'undefined' || !crypto.subtle) return null;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', encoder.encode(text)));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The panel's caps: the verification string of what it answers, and the <c/> for its presence. */
export async function panelCaps(): Promise<{ ver: string; element: () => Element } | null> {
  const ver = await verificationString(verificationText([CLIENT_IDENTITY], CLIENT_FEATURES));
  if (!ver) return null;
  return { ver, element: () => xml('c', { xmlns: NS.caps, hash: 'sha-1', node: CAPS_NODE, ver }) };
}
