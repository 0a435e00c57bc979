// PEP fan-out (XEP-0163): one publisher with N contacts online, each of whose caps (XEP-0115) say
// tune+notify; the publisher keeps `inFlight` publishes on the way (a result sends the next one) and
// the contacts count the notifications. Reported: notifications delivered per second, and per
// second of server CPU time.
import { xml } from '@parley/shared';
import { openDataFolder } from '../server/src/data-folder.ts';
import { verificationString } from '../server/src/modules/caps/verification.ts';
import { BenchClient } from './bench-client.ts';
import { BENCH_DOMAIN, BENCH_PASSWORD, prepareData, removeData, startBenchServer } from './server-process.ts';

const TUNE = 'http://jabber.org/protocol/tune';
const NS_INFO = 'http://jabber.org/protocol/disco#info';

export interface PepBenchResult {
  subscribers: number;
  publishesPerSecond: number;
  notificationsPerSecond: number;
  notificationsPerCpuSecond: number;
}

export interface PepBenchOptions {
  subscribers: number;
  inFlight: number;
  warmupSeconds: number;
  seconds: number;
  serverCore: number | null;
}

/** The disco#info a subscriber answers, and the caps naming it. */
function subscriberCaps(): { info: string; caps: string } {
  const query = xml('query', { xmlns: NS_INFO }, xml('identity', { category: 'client', type: 'bot', name: 'bench' }),
    xml('feature', { var: NS_INFO }), xml('feature', { var: `${TUNE}+notify` }));
  const ver = verificationString(query, 'sha-1')!;
  return { info: query.toString(), caps: `<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://parley.bench' ver='${ver}'/>` };
}

export async function pepBench(options: PepBenchOptions): Promise<PepBenchResult> {
  // receiver0…N-1 are the publisher's contacts (sender0), both ways, set before the server starts
  const dataDir = await prepareData(options.subscribers);
  const data = openDataFolder(dataDir);
  const publisher = `sender0@${BENCH_DOMAIN}`;
  for (let i = 0; i < options.subscribers; i++) {
    const contact = `receiver${i}@${BENCH_DOMAIN}`;
    const item = { name: null, subscription: 'both' as const, ask: false, approved: false, groups: [] };
    await data.storage.roster.put(publisher, { jid: contact, ...item });
    await data.storage.roster.put(contact, { jid: publisher, ...item });
  }
  await data.close();
  const server = await startBenchServer(dataDir, options.serverCore);
  const target = { host: '127.0.0.1', c2sPort: server.ports.c2s, c2sTlsPort: server.ports.c2sTls, httpPort: server.ports.http, domain: BENCH_DOMAIN };
  const { info, caps } = subscriberCaps();
  let measuring = false;
  let notifications = 0;
  const subscribers: BenchClient[] = [];
  try {
    for (let i = 0; i < options.subscribers; i++) {
      const client = new BenchClient(target, 'tcp');
      await client.login(`receiver${i}`, BENCH_PASSWORD, 'bench');
      client.onData = (text) => {
        // the server's caps query (XEP-0115 §6.3): answered with the features the caps stand for
        const query = /<iq [^>]*type="get"[^>]*>/.exec(text);
        if (query && text.includes(NS_INFO)) {
          const id = /id="([^"]+)"/.exec(query[0])![1];
          const from = /from="([^"]+)"/.exec(query[0])![1];
          client.send(`<iq type='result' id='${id}' to='${from}'>${info}</iq>`);
        }
        if (!measuring) return;
        let at = text.indexOf('#event');
        while (at !== -1) {
          notifications++;
          at = text.indexOf('#event', at + 6);
        }
      };
      client.send(`<presence>${caps}</presence>`);
      subscribers.push(client);
    }
    const owner = new BenchClient(target, 'tcp');
    await owner.login('sender0', BENCH_PASSWORD, 'bench');
    await new Promise((resolve) => setTimeout(resolve, 1000)); // caps learnt, presence settled
    let counter = 0;
    let publishes = 0;
    let stopped = false;
    const publish = () => {
      if (stopped) return;
      const n = ++counter;
      owner.send(`<iq type='set' id='p${n}'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='${TUNE}'><item id='current'>`
        + `<tune xmlns='${TUNE}'><artist>Bench</artist><title>Track ${n}</title><length>240</length></tune></item></publish></pubsub></iq>`);
    };
    owner.onData = (text) => {
      let at = text.indexOf('type="result"');
      while (at !== -1) {
        if (measuring) publishes++;
        publish();
        at = text.indexOf('type="result"', at + 13);
      }
    };
    for (let k = 0; k < options.inFlight; k++) publish();
    await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000));
    measuring = true;
    const started = performance.now();
    const cpuStart = server.cpuSeconds();
    await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
    measuring = false;
    const elapsed = (performance.now() - started) / 1000;
    const cpu = server.cpuSeconds() - cpuStart;
    stopped = true;
    owner.close();
    return {
      subscribers: options.subscribers,
      publishesPerSecond: Math.round(publishes / elapsed),
      notificationsPerSecond: Math.round(notifications / elapsed),
      notificationsPerCpuSecond: Math.round(notifications / cpu),
    };
  } finally {
    for (const client of subscribers) client.close();
    await server.stop();
    removeData(dataDir);
  }
}
