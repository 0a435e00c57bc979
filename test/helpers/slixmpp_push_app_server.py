#!/usr/bin/python3
"""A XEP-0357 app server as a real XMPP entity: a slixmpp 1.8 client (Debian) that takes the pubsub
publishes of a user's server and prints each as a JSON line on stdout.

  slixmpp_push_app_server.py '{"jid": "push@example.com/app", "password": "…", "host": "127.0.0.1",
                               "port": 5222, "fail": 1}'

Prints {"ready": true} once online, then for each publish {"node": …, "fields": {…}, "options": {…},
"from": …, "answered": "result" | "error"}. The first `fail` publishes are answered with an error
(internal-server-error, type wait), the rest with a result. Runs until stdin closes.
"""
import asyncio
import json
import logging
import ssl
import sys

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

PUBSUB = "http://jabber.org/protocol/pubsub"
PUSH = "urn:xmpp:push:0"
FORMS = "jabber:x:data"


def form_fields(form):
    if form is None:
        return None
    fields = {}
    for field in form.findall("{%s}field" % FORMS):
        fields[field.get("var")] = [value.text or "" for value in field.findall("{%s}value" % FORMS)]
    return fields


def main():
    spec = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.DEBUG if spec.get("debug") else logging.ERROR, stream=sys.stderr)
    xmpp = slixmpp.ClientXMPP(spec["jid"], spec["password"])
    xmpp.ssl_context.check_hostname = False
    xmpp.ssl_context.verify_mode = ssl.CERT_NONE
    failures = {"left": spec.get("fail", 0)}

    def on_publish(iq):
        pubsub = iq.xml.find("{%s}pubsub" % PUBSUB)
        publish = pubsub.find("{%s}publish" % PUBSUB)
        notification = publish.find("{%s}item/{%s}notification" % (PUBSUB, PUSH))
        options = pubsub.find("{%s}publish-options/{%s}x" % (PUBSUB, FORMS))
        answered = "result"
        if failures["left"] > 0:
            failures["left"] -= 1
            answered = "error"
            reply = iq.reply()
            reply["type"] = "error"
            reply["error"]["type"] = "wait"
            reply["error"]["condition"] = "internal-server-error"
            reply.send()
        else:
            iq.reply().send()
        print(json.dumps({
            "node": publish.get("node"), "from": str(iq["from"]), "answered": answered,
            "fields": form_fields(notification.find("{%s}x" % FORMS) if notification is not None else None),
            "options": form_fields(options),
        }), flush=True)

    xmpp.register_handler(Callback("push publish", MatchXPath("{jabber:client}iq/{%s}pubsub" % PUBSUB), on_publish))
    xmpp.add_event_handler("session_start", lambda _: (xmpp.send_presence(), print(json.dumps({"ready": True}), flush=True)))
    xmpp.connect(address=(spec["host"], spec["port"]), force_starttls=True)
    loop = asyncio.get_event_loop()

    async def until_stdin_closes():
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        await reader.read()
        xmpp.disconnect()
        await asyncio.sleep(0.2)

    loop.run_until_complete(until_stdin_closes())


if __name__ == "__main__":
    main()
