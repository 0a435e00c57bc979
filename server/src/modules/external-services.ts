// XEP-0215 External Service Discovery for calls: the STUN and TURN servers of the deployment, and
// short-lived TURN credentials by the TURN REST API's shared-secret scheme (draft-uberti-behave-
// turn-rest-00 §2.2, what coturn's use-auth-secret checks): username = "<expiry>:<bare JID>",
// password = base64(HMAC-SHA1(secret, username)). Nothing is stored: any node computes the same.
import { createHmac } from 'node:crypto';
import { NS, StanzaError, xml, type Element, type JID } from '@parley/shared';
import { z } from 'zod';
import { defineModule } from '../core/module-api.ts';

const service = z.object({
  type: z.enum(['stun', 'stuns', 'turn', 'turns']),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  transport: z.enum(['udp', 'tcp']).default('udp'),
  name: z.string().optional(),
});

const options = z.object({
  /** The STUN/TURN servers announced (XEP-0215 §3.2); none: the module answers with an empty list. */
  services: z.array(service).default([]),
  /** The TURN servers' shared secret (coturn `static-auth-secret`); without it TURN entries carry no credentials. */
  turnSecret: z.string().min(16).optional(),
  /** How long issued TURN credentials are valid (§3.3 'expires'). */
  credentialSeconds: z.number().int().min(60).max(7 * 86_400).default(3600),
}).prefault({});

type Service = z.infer<typeof service>;
type Options = z.infer<typeof options>;

export const externalServicesModule = defineModule({
  name: 'external-services',
  implements: [{ spec: 'XEP-0215', version: '1.0.0', status: 'complete', note: 'STUN/TURN from modules.external-services; TURN REST API credentials (shared secret)' }],
  options,
  register(ctx) {
    ctx.features.server(NS.externalServices);
    // §3.2: every service (or those of one type), with credentials where the server issues them
    ctx.iq('host', 'get', { name: 'services', xmlns: NS.externalServices }, ({ payload, from }) => {
      const type = payload.attrs.type;
      const chosen = ctx.options.services.filter((entry) => type === undefined || entry.type === type);
      return xml('services', { xmlns: NS.externalServices, type }, ...chosen.map((entry) => serviceElement(ctx.options, entry, from)));
    });
    // §3.3: credentials for one service, named by host and type (and port)
    ctx.iq('host', 'get', { name: 'credentials', xmlns: NS.externalServices }, ({ payload, from }) => {
      const wanted = payload.getChild('service');
      if (!wanted?.attrs.host) throw new StanzaError('bad-request', 'name the service by host and type');
      const found = ctx.options.services.find((entry) => entry.host === wanted.attrs.host
        && (wanted.attrs.type === undefined || entry.type === wanted.attrs.type)
        && (wanted.attrs.port === undefined || String(entry.port) === wanted.attrs.port));
      if (!found) throw new StanzaError('item-not-found', 'no such service');
      if (!isTurn(found) || !ctx.options.turnSecret) throw new StanzaError('item-not-found', 'this service needs no credentials');
      return xml('credentials', { xmlns: NS.externalServices }, serviceElement(ctx.options, found, from));
    });
  },
});

function isTurn(entry: Service): boolean {
  return entry.type === 'turn' || entry.type === 'turns';
}

function serviceElement(options: Options, entry: Service, from: JID): Element {
  const attrs: Record<string, string | undefined> = {
    type: entry.type, host: entry.host, port: String(entry.port), transport: entry.transport, name: entry.name,
  };
  if (isTurn(entry) && options.turnSecret) {
    const credentials = turnCredentials(options.turnSecret, from.bare, options.credentialSeconds);
    Object.assign(attrs, { restricted: '1', username: credentials.username, password: credentials.password, expires: credentials.expires });
  }
  return xml('service', attrs);
}

/** The TURN REST API credentials for `user`, valid for `seconds` from now. */
export function turnCredentials(secret: string, user: string, seconds: number, now = Date.now()): { username: string; password: string; expires: string } {
  const expiry = Math.floor(now / 1000) + seconds;
  const username = `${expiry}:${user}`;
  const password = createHmac('sha1', secret).update(username).digest('base64');
  // XEP-0082 DateTime, without milliseconds
  return { username, password, expires: new Date(expiry * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}
