// XEP-0313 Message Archive Management (urn:xmpp:mam:2, #extended) with XEP-0441 preferences,
// XEP-0431 full-text search, XEP-0359 stanza-ids and XEP-0059 paging. Handles, on a user's bare JID:
//   iq set <query/>    a query: results, then <fin/>          (query.ts)
//   iq get <query/>    the query form                         (form.ts)
//   iq get <metadata/> first and last archived message       (query.ts)
//   iq get/set <prefs/> archiving preferences                 (preferences.ts)
// and archives messages as they are delivered (archiver.ts). The store: server/src/archive/.
import { NS } from '@parley/shared';
import { defineModule } from '../../core/module-api.ts';
import { registerArchiver } from './archiver.ts';
import { queryFormTemplate } from '../../archive/query/form.ts';
import { mamPreferences } from '@parley/shared/mam';
import { ArchivingPolicy, parsePreferences } from './preferences.ts';
import { metadata, requireOwnArchive, runQuery } from '../../archive/query/query.ts';
import { NS_RETRACT } from '../../archive/retraction.ts';

export const mamModule = defineModule({
  name: 'mam',
  implements: [
    { spec: 'XEP-0313', version: '1.1.1', status: 'complete', note: 'user archives; before-id/after-id/ids, flipped pages, metadata (#extended); room archives: muc' },
    { spec: 'XEP-0059', version: '1.0.0', status: 'complete', note: 'result set paging of archive queries, with count and index' },
    { spec: 'XEP-0441', version: '0.2.0', status: 'complete', note: 'archiving preferences' },
    { spec: 'XEP-0431', version: '0.2.0', status: 'complete', note: 'words, prefixes (word*) and "phrases"; case and accents ignored; SQLite FTS5 or Elasticsearch' },
    { spec: 'XEP-0359', version: '0.7.0', status: 'partial', note: 'stanza-id on archived incoming messages; origin-id is left to clients' },
    { spec: 'XEP-0297', version: '1.0', status: 'complete', note: 'forwarded archive results' },
    { spec: 'XEP-0424', version: '0.4.2', status: 'complete', note: "server side: a retraction archived from the author makes the message a tombstone in both archives (MAM results, search)" },
  ],
  register(ctx) {
    const archive = ctx.services.archive;
    if (!archive) return;
    const policy = new ArchivingPolicy(ctx.services.storage.roster, archive, ctx.cache('preferences'));
    // XEP-0424 §2 and §5: retractions are archived, and the messages they name become tombstones
    for (const feature of [NS.mam, NS.mamExtended, NS.fulltext, NS.stanzaIds, NS_RETRACT, `${NS_RETRACT}#tombstone`]) ctx.features.account(feature);
    registerArchiver(ctx, archive, policy);
    // One handler per request element: the router answers an element mam:2 does not define with bad-request.
    const mam = (name: string) => ({ name, xmlns: NS.mam });
    ctx.iq('account', 'set', mam('query'), ({ iq, from, to, origin }) => {
      requireOwnArchive(from, to);
      const asking = origin.kind === 'client' && origin.jid.full === from.full ? origin : null;
      return runQuery(archive, iq, from, to, asking && ((xml) => asking.deliverSerialized(xml)));
    });
    ctx.iq('account', 'set', mam('prefs'), ({ payload: prefs, from, to }) => {
      requireOwnArchive(from, to);
      const preferences = parsePreferences(prefs);
      return policy.set(to.bare, preferences).then(() => mamPreferences(preferences));
    });
    ctx.iq('account', 'get', mam('query'), ({ from, to }) => {
      requireOwnArchive(from, to);
      return queryFormTemplate();
    });
    ctx.iq('account', 'get', mam('metadata'), ({ from, to }) => {
      requireOwnArchive(from, to);
      return metadata(archive, to);
    });
    ctx.iq('account', 'get', mam('prefs'), ({ from, to }) => {
      requireOwnArchive(from, to);
      return mamPreferences(policy.get(to.bare));
    });
  },
});
