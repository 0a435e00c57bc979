#!/usr/bin/python3
"""A XEP-0060 pubsub service with slixmpp 1.8 (Debian): its xep_0060 plugin against pubsub.<domain>.

  slixmpp_pubsub.py '{"host": "127.0.0.1", "port": 5222, "domain": "example.com", "alice": {"jid": …, "password": …},
                      "bob": {…}, "carol": {…}, "timeout": 30}'
Alice finds the service in the domain's disco#items, creates an instant node and a configured one,
publishes and retracts; Bob subscribes (with subscription options), gets the events, reads items and
is refused a publish; Carol's subscription to an 'authorize' node waits until Alice approves it;
the deletion reaches Bob. Prints one JSON line with what each saw.
"""
import asyncio
import json
import logging
import ssl
import sys
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError

FEED = 'urn:example:feed'


def client(spec, account):
    xmpp = slixmpp.ClientXMPP(account['jid'], account['password'])
    xmpp.ssl_context.check_hostname = False
    xmpp.ssl_context.verify_mode = ssl.CERT_NONE
    for plugin in ['xep_0004', 'xep_0030', 'xep_0060']:
        xmpp.register_plugin(plugin)
    started = asyncio.get_event_loop().create_future()
    xmpp.add_event_handler('session_start', lambda _: started.done() or started.set_result(True))
    xmpp.add_event_handler('failed_auth', lambda _: started.done() or started.set_exception(RuntimeError('auth failed: ' + account['jid'])))
    xmpp.connect(address=(spec['host'], spec['port']), force_starttls=True)
    return xmpp, started


def waiter(xmpp, event, match=lambda msg: True):
    future = asyncio.get_event_loop().create_future()

    def handler(msg):
        if not future.done() and match(msg):
            future.set_result(msg)
    xmpp.add_event_handler(event, handler)
    return future


def form(xmpp, values):
    submitted = xmpp['xep_0004'].make_form('submit')
    for name, value in values.items():
        submitted.add_field(var=name, value=value)
    return submitted


async def scenario(spec):
    alice, alice_started = client(spec, spec['alice'])
    bob, bob_started = client(spec, spec['bob'])
    carol, carol_started = client(spec, spec['carol'])
    await asyncio.gather(alice_started, bob_started, carol_started)
    for xmpp in (alice, bob, carol):
        xmpp.send_presence()
    seen = {}
    items = await alice['xep_0030'].get_items(jid=spec['domain'])
    service = None
    for jid, _node, _name in items['disco_items']['items']:
        info = await alice['xep_0030'].get_info(jid=jid)
        if ('pubsub', 'service', 'Publish-Subscribe', None) in info['disco_info']['identities'] or \
                any(i[0] == 'pubsub' and i[1] == 'service' for i in info['disco_info']['identities']):
            service = str(jid)
    seen['service'] = service

    instant = await alice['xep_0060'].create_node(service, None)
    seen['instant_node'] = instant['pubsub']['create']['node']
    node = 'slix-news'
    await alice['xep_0060'].create_node(service, node, config=form(alice, {'pubsub#title': 'Slix news', 'pubsub#max_items': '5'}))
    config = await alice['xep_0060'].get_node_config(service, node)
    seen['title'] = config['pubsub_owner']['configure']['form'].get_values()['pubsub#title']

    subscribed = await bob['xep_0060'].subscribe(service, node, options=form(bob, {'FORM_TYPE': 'http://jabber.org/protocol/pubsub#subscribe_options', 'pubsub#deliver': '1'}))
    seen['bob_subscription'] = subscribed['pubsub']['subscription']['subscription']

    published = waiter(bob, 'pubsub_publish', lambda msg: msg['pubsub_event']['items']['node'] == node)
    await alice['xep_0060'].publish(service, node, id='n1', payload=ET.fromstring('<entry xmlns="%s">hello from slixmpp</entry>' % FEED))
    event = await asyncio.wait_for(published, 10)
    item = event['pubsub_event']['items']['item']
    seen['bob_event'] = [item['id'], item['payload'].text]
    await alice['xep_0060'].publish(service, node, id='n2', payload=ET.fromstring('<entry xmlns="%s">second</entry>' % FEED))
    fetched = await bob['xep_0060'].get_items(service, node, max_items=1)
    seen['bob_items'] = [i['id'] for i in fetched['pubsub']['items']]

    retracted = waiter(bob, 'pubsub_retract', lambda msg: msg['pubsub_event']['items']['node'] == node)
    await alice['xep_0060'].retract(service, node, 'n1', notify=True)
    seen['bob_retract'] = (await asyncio.wait_for(retracted, 10))['pubsub_event']['items']['retract']['id']

    try:
        await bob['xep_0060'].publish(service, node, id='b1', payload=ET.fromstring('<entry xmlns="%s">not mine</entry>' % FEED))
        seen['bob_publish_error'] = None
    except IqError as error:
        seen['bob_publish_error'] = error.condition

    club = 'slix-club'
    await alice['xep_0060'].create_node(service, club, config=form(alice, {'pubsub#access_model': 'authorize'}))
    pending = await carol['xep_0060'].subscribe(service, club)
    seen['carol_subscription'] = pending['pubsub']['subscription']['subscription']
    approved = waiter(carol, 'pubsub_subscription', lambda msg: msg['pubsub_event']['subscription']['node'] == club)
    await alice['xep_0060'].modify_subscriptions(service, club, [(slixmpp.JID(spec['carol']['jid']).bare, 'subscribed')])
    seen['carol_told'] = (await asyncio.wait_for(approved, 10))['pubsub_event']['subscription']['subscription']

    deleted = waiter(bob, 'pubsub_delete', lambda msg: msg['pubsub_event']['delete']['node'] == node)
    await alice['xep_0060'].delete_node(service, node)
    seen['bob_delete'] = (await asyncio.wait_for(deleted, 10))['pubsub_event']['delete']['node']
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
