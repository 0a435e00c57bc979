#!/usr/bin/python3
"""PEP with slixmpp 1.8 (Debian): caps-filtered notifications, avatars, bookmarks, an error path.

  slixmpp_pep.py '{"host": "127.0.0.1", "port": 5222, "alice": {"jid": …, "password": …}, "bob": {…},
                   "carol": {…}, "timeout": 30}'
Alice, Bob and Carol are mutual contacts (the test sets their rosters). Bob loads the user tune plugin
(XEP-0118), so his XEP-0115 caps say tune+notify; Carol loads pubsub but no tune plugin. Alice
publishes a tune, an avatar (XEP-0084) and XEP-0048 bookmarks in private storage (XEP-0049). Prints
one JSON line with what each saw; exit status 0 unless something failed outright.
"""
import asyncio
import base64
import hashlib
import json
import logging
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError

TUNE = 'http://jabber.org/protocol/tune'


def client(spec, account, plugins):
    xmpp = slixmpp.ClientXMPP(account['jid'], account['password'])
    xmpp.ssl_context.check_hostname = False
    xmpp.ssl_context.verify_mode = ssl.CERT_NONE
    for plugin in plugins:
        xmpp.register_plugin(plugin)
    started = asyncio.get_event_loop().create_future()
    xmpp.add_event_handler('session_start', lambda _: started.done() or started.set_result(True))
    xmpp.add_event_handler('failed_auth', lambda _: started.done() or started.set_exception(RuntimeError('auth failed: ' + account['jid'])))
    xmpp.connect(address=(spec['host'], spec['port']), force_starttls=True)
    return xmpp, started


async def scenario(spec):
    loop = asyncio.get_event_loop()
    base = ['xep_0030', 'xep_0115', 'xep_0060', 'xep_0163']
    alice, alice_started = client(spec, spec['alice'], base + ['xep_0084', 'xep_0118', 'xep_0049', 'xep_0048', 'xep_0054'])
    bob, bob_started = client(spec, spec['bob'], base + ['xep_0118', 'xep_0054'])
    carol, carol_started = client(spec, spec['carol'], base)
    await asyncio.gather(alice_started, bob_started, carol_started)
    seen = {'bob_tune': None, 'carol_events': []}
    bob_got_tune = loop.create_future()

    def on_tune(msg):
        seen['bob_tune'] = msg['pubsub_event']['items']['item']['tune']['title']
        if not bob_got_tune.done():
            bob_got_tune.set_result(True)

    bob.add_event_handler('user_tune_publish', on_tune)
    carol.add_event_handler('pubsub_publish', lambda msg: seen['carol_events'].append(msg['pubsub_event']['items']['node']))
    for xmpp in (bob, carol, alice):
        xmpp.send_presence()
    # let the server learn the caps (its disco#info to each client) before Alice publishes
    await asyncio.sleep(1.5)
    await alice.plugin['xep_0118'].publish_tune(artist='The Beatles', title='Blackbird')
    await asyncio.wait_for(bob_got_tune, 10)
    await asyncio.sleep(0.5)

    # XEP-0084 avatar: data, then metadata; Bob reads the vCard the server made of it (XEP-0398)
    picture = b'slixmpp avatar bytes'
    avatar_id = hashlib.sha1(picture).hexdigest()
    await alice.plugin['xep_0084'].publish_avatar(picture)
    await alice.plugin['xep_0084'].publish_avatar_metadata(items=[{'id': avatar_id, 'type': 'image/png', 'bytes': len(picture)}])
    await asyncio.sleep(0.3)
    vcard = await bob.plugin['xep_0054'].get_vcard(slixmpp.JID(spec['alice']['jid']).bare, cached=False)
    binval = vcard['vcard_temp']['PHOTO']['BINVAL']
    seen['vcard_photo_matches'] = binval == picture

    # XEP-0048 bookmarks in XEP-0049 private storage
    bookmarks = alice.plugin['xep_0048'].stanza.Bookmarks()
    bookmarks.add_conference('lounge@rooms.example.com', 'Al', name='Lounge', autojoin=True)
    await alice.plugin['xep_0048'].set_bookmarks(bookmarks, method='xep_0049')
    stored = await alice.plugin['xep_0048'].get_bookmarks(method='xep_0049')
    seen['bookmarks'] = [str(conf['jid']) for conf in stored['private']['bookmarks']['conferences']]

    # an error path: Bob may not publish to Alice's node
    try:
        await bob.plugin['xep_0060'].publish(slixmpp.JID(spec['alice']['jid']).bare, TUNE, payload=None)
        seen['bob_publish_error'] = None
    except IqError as error:
        seen['bob_publish_error'] = error.condition
    for xmpp in (alice, bob, carol):
        xmpp.disconnect()
    return seen


def main():
    spec = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.DEBUG if spec.get('debug') else logging.ERROR, stream=sys.stderr)
    loop = asyncio.get_event_loop()
    try:
        seen = loop.run_until_complete(asyncio.wait_for(scenario(spec), spec.get('timeout', 30)))
    except Exception as error:
        print(json.dumps({'error': repr(error)}))
        sys.exit(1)
    print(json.dumps(seen))


if __name__ == '__main__':
    main()
