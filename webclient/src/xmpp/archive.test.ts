// The archive client (XEP-0313 with XEP-0059 paging and XEP-0431 search) against a scripted
// server: the queries it sends, and archived messages mapped to the ids the live chat uses.
import { describe, expect, it } from 'vitest';
import { NS, parseJid, xml, type Element } from '@parley/shared';
import { parseMamResult } from '@parley/shared/mam';
import { ArchiveService, archivedMessage } from './archive.ts';
import { Emitter } from './emitter.ts';
import type { XmppClient, ClientEvents } from './client.ts';

const ME = 'alice@example.com';

/** An archived message as the server sends it: <result><forwarded><delay/><message/></forwarded></result>. */
function resultMessage(queryid: string, id: string, stamp: string, inner: Element): Element {
  return xml('message', { from: ME, to: `${ME}/web` },
    xml('result', { xmlns: NS.mam, queryid, id },
      xml('forwarded', { xmlns: NS.forward }, xml('delay', { xmlns: NS.delay, stamp }), inner)));
}

const fromBob = (body: string) => xml('message', { from: 'bob@example.com/phone', to: ME, type: 'chat' }, xml('body', {}, body));
const toBob = (body: string, originId: string) => xml('message', { from: `${ME}/web`, to: 'bob@example.com', type: 'chat' },
  xml('body', {}, body), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: originId }));

/** A client whose server answers each MAM query (kept in `sent`) with the given results (oldest first) and <fin/>. */
function scriptedClient(answer: (query: Element) => { results: Array<[string, string, Element]>; complete: boolean }) {
  const sent: Element[] = [];
  const client = new (class extends Emitter<ClientEvents> {
    account = parseJid(ME);
    async iq(request: Element): Promise<Element> {
      const query = request.getChild('query', NS.mam)!;
      sent.push(query);
      const { results, complete } = answer(query);
      for (const [id, stamp, inner] of results) this.emit('message', resultMessage(query.attrs.queryid!, id, stamp, inner));
      // A result for another query is not ours.
      this.emit('message', resultMessage('other', 'x', '2024-01-01T00:00:00Z', fromBob('not mine')));
      return xml('iq', { type: 'result' }, xml('fin', { xmlns: NS.mam, complete: complete ? 'true' : undefined },
        xml('set', { xmlns: NS.rsm }, ...(results.length ? [xml('first', { index: '0' }, results[0]![0]), xml('last', {}, results.at(-1)![0])] : []),
          xml('count', {}, String(results.length)))));
    }
  })();
  return { client: client as unknown as XmppClient, sent };
}

const field = (query: Element, name: string) => query.getChild('x')?.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value');
const rsm = (query: Element, name: string) => query.getChild('set', NS.rsm)?.getChild(name);

describe('archivedMessage', () => {
  const account = parseJid(ME);

  it('maps theirs to the id the live chat gives (peer + our stanza-id, which is the archive id)', () => {
    const result = parseMamResult(resultMessage('q', 'A1', '2024-05-01T10:00:00Z', fromBob('hi')))!;
    expect(archivedMessage(result, account)).toMatchObject({
      id: 'bob@example.com A1', archiveId: 'A1', peer: 'bob@example.com', direction: 'in', body: 'hi',
      time: new Date('2024-05-01T10:00:00Z'), delayed: false,
    });
    expect(archivedMessage(result, account)!.refs).toContain('A1');
  });

  it('maps ours by origin-id (what the chat used when sending it)', () => {
    const result = parseMamResult(resultMessage('q', 'A2', '2024-05-01T10:01:00Z', toBob('hello', 'o-1')))!;
    expect(archivedMessage(result, account)).toMatchObject({ id: 'o-1', archiveId: 'A2', peer: 'bob@example.com', direction: 'out' });
  });

  it('maps a tombstone (XEP-0424 §5) to its message, deleted, under the ids the live chat used', () => {
    const retracted = () => xml('retracted', { xmlns: 'urn:xmpp:message-retract:1', id: 'r-1', stamp: '2024-05-01T10:05:00Z' });
    const ours = xml('message', { from: `${ME}/web`, to: 'bob@example.com', type: 'chat', id: 'o-9' },
      xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'o-9' }), retracted());
    const theirs = xml('message', { from: 'bob@example.com/phone', to: ME, type: 'chat', id: 'b-1' }, retracted());
    const mine = archivedMessage(parseMamResult(resultMessage('q', 'A3', '2024-05-01T10:02:00Z', ours))!, account)!;
    expect(mine).toMatchObject({ id: 'o-9', archiveId: 'A3', direction: 'out', body: '', retracted: true });
    expect(mine.action).toBeUndefined();
    expect(mine.refs).toEqual(expect.arrayContaining(['o-9', 'A3']));
    expect(archivedMessage(parseMamResult(resultMessage('q', 'A4', '2024-05-01T10:03:00Z', theirs))!, account))
      .toMatchObject({ id: 'bob@example.com A4', direction: 'in', body: '', retracted: true });
    // an ordinary archived message is not deleted
    expect(archivedMessage(parseMamResult(resultMessage('q', 'A5', '2024-05-01T10:04:00Z', fromBob('hi')))!, account)!.retracted).toBeUndefined();
  });

  it('skips messages without a body', () => {
    const result = parseMamResult(resultMessage('q', 'A3', '2024-05-01T10:01:00Z', xml('message', { from: 'bob@example.com', to: ME })))!;
    expect(archivedMessage(result, account)).toBeUndefined();
  });
});

describe('ArchiveService', () => {
  it('pages a conversation backwards: the newest page, then the one before its first id', async () => {
    const { client, sent } = scriptedClient(() => ({
      results: [['A1', '2024-05-01T10:00:00Z', fromBob('one')], ['A2', '2024-05-01T10:01:00Z', toBob('two', 'o-2')]], complete: false,
    }));
    const archive = new ArchiveService(client);
    const newest = await archive.history('bob@example.com');
    expect(newest.messages.map((m) => m.body)).toEqual(['one', 'two']);
    expect(newest).toMatchObject({ complete: false, cursor: 'A1' });
    expect(field(sent[0]!, 'with')).toBe('bob@example.com');
    expect(rsm(sent[0]!, 'before')?.getText()).toBe('');

    await archive.history('bob@example.com', newest.cursor);
    expect(rsm(sent[1]!, 'before')?.getText()).toBe('A1');
  });

  it('searches with the XEP-0431 field, newest result first, in one conversation or all', async () => {
    const { client, sent } = scriptedClient(() => ({
      results: [['A1', '2024-05-01T10:00:00Z', fromBob('old cake')], ['A9', '2024-05-03T10:00:00Z', fromBob('new cake')]], complete: true,
    }));
    const archive = new ArchiveService(client);
    const page = await archive.search('cake', { peer: 'bob@example.com' });
    expect(page.messages.map((m) => m.body)).toEqual(['new cake', 'old cake']);
    expect(page).toMatchObject({ complete: true, count: 2 });
    expect(field(sent[0]!, '{urn:xmpp:fulltext:0}fulltext')).toBe('cake');
    expect(field(sent[0]!, 'with')).toBe('bob@example.com');
    await archive.search('cake');
    expect(field(sent[1]!, 'with')).toBeUndefined();
  });

  it('loads the page before a result and everything from it to now', async () => {
    const { client, sent } = scriptedClient((query) => {
      if (field(query, 'before-id') === 'A5') return { results: [['A4', '2024-05-01T10:04:00Z', fromBob('four')]], complete: false };
      if (field(query, 'after-id') === 'A4') return { results: [['A5', '2024-05-01T10:05:00Z', fromBob('five')]], complete: false };
      return { results: [['A6', '2024-05-01T10:06:00Z', fromBob('six')]], complete: true };
    });
    const page = await new ArchiveService(client).around('bob@example.com', 'A5');
    expect(page.messages.map((m) => m.body)).toEqual(['four', 'five', 'six']);
    expect(page).toMatchObject({ complete: false, cursor: 'A4' });
    expect(rsm(sent[2]!, 'after')?.getText()).toBe('A5');
  });
});
