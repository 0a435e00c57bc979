// XEP-0077 In-Band Registration: off unless a domain is listed in the module's options. Before
// authentication a client may ask for the form and register (§3.1); afterwards it may change its
// password (§3.3) or cancel its registration (§3.2). Accounts are made through the admin service
// (admin/service.ts), so the same rules apply as for the CLI and the admin API (RFC 7622 PRECIS
// names, no empty password, no duplicate). Registrations are rate limited per address (a /64 for IPv6).
import { NS, StanzaError, tryParseJid, xml, type Element } from '@parley/shared';
import { z } from 'zod';
import { defineModule, type ModuleContext, type StreamInfo } from '../core/module-api.ts';
import { AdminError } from '../admin/errors.ts';
import { RateLimiter } from '../limits/rate-limiter.ts';
import { addressKey } from '../sasl/throttle.ts';

const options = z.object({
  /** Domains (canonical names) where anyone may register an account; [] = registration off. */
  domains: z.array(z.string().min(1)).default([]),
  /** New accounts one address (a /64 for IPv6) may register a minute (a burst of as many at once). */
  perAddressPerMinute: z.number().int().min(1).max(1000).default(1),
  /** Shortest password accepted at registration and password change. */
  minPasswordLength: z.number().int().min(1).max(128).default(8),
}).prefault({});

type Options = z.infer<typeof options>;

const INSTRUCTIONS = 'Choose a user name and password for your account on this server.';

export const registerModule = defineModule({
  name: 'register',
  implements: [{ spec: 'XEP-0077', version: '2.4', status: 'complete', note: 'off unless modules.register.domains lists the domain; no data forms (the legacy username/password fields)' }],
  options,
  register(ctx) {
    const open = new Set(ctx.options.domains.map((domain) => ctx.hosts.canonical(domain.toLowerCase())));
    const isOpen = (domain: string) => open.has(ctx.hosts.canonical(domain));
    // A per-node limit, as the login throttle: a cluster multiplies it by its nodes.
    const limiter = new RateLimiter({ perMinute: ctx.options.perAddressPerMinute });

    // §4: announced before authentication where registration is open
    ctx.streamFeature((stream) => (isOpen(stream.domain) ? xml('register', { xmlns: NS.registerFeature }) : null), 'unauthenticated');
    ctx.unauthenticatedIq(NS.register, (stream, iq, payload) => {
      if (payload.name !== 'query') throw new StanzaError('bad-request', 'expected <query/>');
      if (!isOpen(stream.domain)) throw new StanzaError('service-unavailable', 'registration is not open on this server');
      if (iq.attrs.type === 'get') return registrationForm();
      return registerAccount(ctx, stream, payload, limiter);
    });

    // After authentication: the account's own registration (§3.2, §3.3), on every domain.
    ctx.features.server(NS.register);
    const query = { name: 'query', xmlns: NS.register };
    ctx.iq('host', 'get', query, ({ from }) =>
      xml('query', { xmlns: NS.register }, xml('registered'), xml('username', null, from.local!)));
    ctx.iq('host', 'set', query, async ({ payload, from, origin }) => {
      if (origin.kind !== 'client') throw new StanzaError('not-allowed');
      if (payload.getChild('remove')) {
        // §3.2: the result first, then the account goes; the user.deleted event then ends its
        // sessions with not-authorized (modules/suite-sync.ts), this one included
        setImmediate(() => {
          ctx.services.admin.deleteUser(from.bare).then(
            () => ctx.log.info({ jid: from.bare }, 'account removed by its owner (XEP-0077)'),
            (err: unknown) => ctx.log.error({ err, jid: from.bare }, 'account removal failed'));
        });
        return null;
      }
      const username = payload.getChildText('username');
      const password = payload.getChildText('password');
      if (username === null || password === null) throw new StanzaError('bad-request', 'give <username/> and <password/>, or <remove/>');
      if (tryParseJid(`${username}@${from.domain}`)?.local !== from.local) throw new StanzaError('not-authorized', 'that is not your user name');
      checkPassword(ctx.options, password);
      await adminCall(() => ctx.services.admin.setPassword(from.bare, password));
      ctx.log.info({ jid: from.bare }, 'password changed by its owner (XEP-0077)');
      return null;
    });
  },
});

function registrationForm(): Element {
  return xml('query', { xmlns: NS.register }, xml('instructions', null, INSTRUCTIONS), xml('username'), xml('password'));
}

async function registerAccount(ctx: ModuleContext<Options>, stream: StreamInfo, query: Element, limiter: RateLimiter): Promise<null> {
  if (query.getChild('remove')) throw new StanzaError('not-authorized', 'log in to cancel a registration');
  const username = query.getChildText('username');
  const password = query.getChildText('password');
  // §3.1: required information missing
  if (!username || password === null) throw new StanzaError('not-acceptable', 'a user name and a password are required');
  checkPassword(ctx.options, password);
  if (!limiter.take(addressKey(stream.remoteAddress))) {
    ctx.log.warn({ address: stream.remoteAddress }, 'registration refused: too many from this address');
    throw new StanzaError('policy-violation', 'too many registrations from your address; try again later', 'wait');
  }
  const domain = ctx.hosts.canonical(stream.domain);
  const jid = await adminCall(() => ctx.services.admin.addUser(`${username}@${domain}`, { password }));
  ctx.log.info({ jid, address: stream.remoteAddress }, 'account registered (XEP-0077)');
  return null;
}

function checkPassword(options: Options, password: string): void {
  if (password.length < options.minPasswordLength) {
    throw new StanzaError('not-acceptable', `the password must have at least ${options.minPasswordLength} characters`);
  }
}

/** The admin service's refusals as the stanza errors XEP-0077 §3.1 names. */
async function adminCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof AdminError)) throw error;
    if (error.kind === 'conflict') throw new StanzaError('conflict', 'that user name is taken');
    if (error.kind === 'not-found') throw new StanzaError('item-not-found', error.message);
    throw new StanzaError('not-acceptable', error.message);
  }
}
