// Property-based fuzzing (fast-check) through a real socket: the stream parser with random and
// mutated XML, every registered iq handler with hostile payloads, messages and presence of every
// kind to every kind of address. Whatever arrives, the server answers with a standard error (never
// internal-server-error), logs no exception, answers every iq get/set, and a bystander's session
// keeps working.
//
//   PARLEY_FUZZ_SEED=123 [PARLEY_FUZZ_PATH=…]   replay a failure (its seed and path are printed)
//   PARLEY_FUZZ_SECONDS=60                       fuzz longer (per property; default 6)
//   PARLEY_FUZZ_ALL=1                            also run the properties pending on the known bugs below
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { xml } from '@xmpp/client';
import { NS } from '@parley/shared';
import { startServer, type TestServer } from '../helpers/server.ts';
import { login, type LoggedInClient } from '../helpers/clients.ts';
import { captureLog, type CapturedLog } from './captured-log.ts';
import { FuzzPeer } from './fuzz-peer.ts';
import { exchange, inspect } from './oracle.ts';
import { iq, message, mixed, presence, type World } from './stanzas.ts';
import { encode, rawInput } from './raw.ts';

const DOMAIN = 'example.com';
const PASSWORD = 'fuzz-password';
const USERS = ['fuzzer', 'bystander', 'friend', 'victim'].map((name) => `${name}@${DOMAIN}`);
const HEADER = `<?xml version='1.0'?><stream:stream to='${DOMAIN}' version='1.0' xmlns='jabber:client' xmlns:stream='${NS.stream}'>`;

const seed = Number(process.env.PARLEY_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const path = process.env.PARLEY_FUZZ_PATH;
const secondsPerProperty = Number(process.env.PARLEY_FUZZ_SECONDS ?? 6);
const runPending = process.env.PARLEY_FUZZ_ALL === '1';
/** A property's own time, plus room for shrinking a failure and a loaded machine. */
const TEST_TIMEOUT_MS = secondsPerProperty * 1000 + 90_000;

/**
 * Properties that find known bugs, each skipped until the bug is fixed (name → the bug; turn the
 * property on by removing its entry, or run it with PARLEY_FUZZ_ALL=1). None today.
 */
const PENDING_ON_KNOWN_BUGS: Record<string, string> = {};

let server: TestServer;
let log: CapturedLog;
let bystander: LoggedInClient;
let friend: LoggedInClient;
let fuzzer: FuzzPeer;
let world: World;
let cases = 0;
let rawSessions = 0;

beforeAll(async () => {
  log = captureLog();
  server = await startServer({
    domains: [DOMAIN],
    users: Object.fromEntries(USERS.map((jid) => [jid, PASSWORD])),
    logger: log.logger,
    // the fuzzer logs in often (raw stream cases): plaintext on loopback keeps that cheap
    config: { c2s: { port: 0, tlsPort: -1, allowPlaintextOnLoopback: true }, limits: { authFailures: 1000, connectionsPerIp: 1000 } },
  });
  bystander = await login(server, `bystander@${DOMAIN}`, PASSWORD, { resource: 'desk' });
  friend = await login(server, `friend@${DOMAIN}`, PASSWORD, { resource: 'desk' });
  fuzzer = await FuzzPeer.open(server.ports.c2s, 'fuzzer', PASSWORD, 'fuzz');
  world = {
    domain: DOMAIN,
    self: fuzzer.jid,
    others: [bystander.jid, `bystander@${DOMAIN}`, `friend@${DOMAIN}`, `victim@${DOMAIN}`, `nobody@${DOMAIN}`],
    handlers: server.server.iqHandlers.registeredIqs(),
  };
  console.log(`fuzz seed ${seed} (replay: PARLEY_FUZZ_SEED=${seed}), ${world.handlers.length} iq handlers`);
}, 60_000);

afterAll(async () => {
  fuzzer?.destroy();
  await bystander?.stop();
  await friend?.stop();
  await server?.stop();
});

// after every property: the bystander's session still works, and nothing was logged since
afterEach(async () => {
  await bystanderWorks();
  const problems = log.takeErrors();
  if (problems.length > 0) throw new Error(`logged after the property: ${JSON.stringify(problems)}`);
});

/** The bystander pings the server and sends its friend a message that arrives. */
async function bystanderWorks(): Promise<void> {
  await bystander.xmpp.iqCaller.get(xml('ping', { xmlns: NS.ping }), DOMAIN);
  const body = `still here ${++cases}`;
  const arrived = friend.next((stanza) => stanza.name === 'message' && stanza.getChildText('body') === body, 5000);
  await bystander.xmpp.send(xml('message', { to: `friend@${DOMAIN}`, type: 'chat' }, xml('body', {}, body)));
  await arrived;
}

/** The fuzzer's session, logged in again when the last case ended its stream (with a standard stream error). */
async function fuzzerSession(): Promise<FuzzPeer> {
  if (fuzzer.closed) {
    fuzzer.destroy();
    fuzzer = await FuzzPeer.open(server.ports.c2s, 'fuzzer', PASSWORD, 'fuzz');
  }
  return fuzzer;
}

/** Runs a property for the time budget from the shared seed; fast-check's failure names the seed and path to replay. */
async function check<T>(arbitrary: fc.Arbitrary<T>, run: (value: T) => Promise<string[]>): Promise<void> {
  let count = 0;
  const started = Date.now();
  await fc.assert(fc.asyncProperty(arbitrary, async (value) => {
    const problems = await run(value);
    if (++count % 25 === 0) await bystanderWorks();
    if (problems.length > 0) throw new Error(problems.join('\n'));
  }), {
    seed,
    ...(path ? { path } : {}),
    numRuns: 1_000_000,
    interruptAfterTimeLimit: secondsPerProperty * 1000,
    markInterruptAsFailure: false,
  });
  console.log(`${expect.getState().currentTestName}: ${count} cases in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function property(name: string, body: () => Promise<void>): void {
  const pending = PENDING_ON_KNOWN_BUGS[name];
  if (pending && !runPending) it.skip(`${name} (pending on a known bug: ${pending})`, body);
  else it(name, body, TEST_TIMEOUT_MS);
}

describe('stanzas from a bound session', () => {
  property('iq payloads for every registered handler, with the element names the protocol defines', async () => {
    const driven = new Set<string>();
    await check(iq(world, { mutateNames: false }), async (stanza) => {
      if (stanza.handler) driven.add(stanza.handler);
      return exchange(await fuzzerSession(), [stanza], DOMAIN, log);
    });
    const every = world.handlers.map(({ target, type, xmlns }) => `${target} ${type} ${xmlns}`);
    expect(every.filter((handler) => !driven.has(handler)), 'handlers the generator never reached').toEqual([]);
  });

  property('iq payloads whose element name the protocol does not define', () =>
    check(iq(world, { mutateNames: true }), async (stanza) => exchange(await fuzzerSession(), [stanza], DOMAIN, log)));

  property('messages of every type, with extensions, to every kind of address', () =>
    check(message(world), async (stanza) => exchange(await fuzzerSession(), [stanza], DOMAIN, log)));

  property('presence broadcasts, directed presence, subscriptions and probes', () =>
    check(presence(world), async (stanza) => exchange(await fuzzerSession(), [stanza], DOMAIN, log)));

  property('sequences of iq, message and presence sent back to back', () =>
    check(mixed(world), async (stanzas) => exchange(await fuzzerSession(), stanzas, DOMAIN, log)));
});

describe('the stream parser', () => {
  property('random and mutated XML instead of the header, after it, and after binding', () =>
    check(rawInput(fc.oneof(iq(world, { mutateNames: false }), message(world), presence(world))), async (input) => {
      const session = input.stage === 'after-bind'
        ? await FuzzPeer.open(server.ports.c2s, 'fuzzer', PASSWORD, `raw-${++rawSessions}`)
        : await FuzzPeer.connect(server.ports.c2s);
      try {
        if (input.stage === 'after-header') session.send(HEADER);
        const from = session.received.length;
        session.send(encode(input.pieces));
        // A probe the server answers when its parser got through the input: a ping once bound, and
        // before that any stanza (answered with a stream error, RFC 6120 §4.9.3.12 not-authorized).
        if (input.stage === 'after-bind') await session.ping(DOMAIN, 300);
        else {
          session.send('<presence/>');
          await session.waitClosed(300);
        }
        return inspect(session, from, log);
      } finally {
        session.destroy();
      }
    }));
});
