#!/usr/bin/python3
"""One message from a sender to a receiver, each logged in on its own server (slixmpp 1.8, Debian).

Federation tests run it with Debian's /usr/bin/python3:
  slixmpp_message.py '{"sender": {"jid": "alice@a.test", "password": "…", "host": "127.0.0.20", "port": 5222},
                       "receiver": {…}, "body": "hello", "timeout": 30}'
The receiver logs in first and sends presence; the sender then sends a chat message to the
receiver's bare JID. Prints one JSON line ({"received": body, "from": jid} or {"error": …}) and
exits 0 when the receiver got the body, 1 otherwise. Certificates are not checked: the peers use
test certificates on loopback.
"""
import asyncio
import json
import logging
import ssl
import sys

import slixmpp


def client(account):
    xmpp = slixmpp.ClientXMPP(account["jid"], account["password"])
    xmpp.ssl_context.check_hostname = False
    xmpp.ssl_context.verify_mode = ssl.CERT_NONE
    started = asyncio.get_event_loop().create_future()
    xmpp.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
    xmpp.add_event_handler("failed_auth", lambda _: started.done() or started.set_exception(RuntimeError("auth failed: " + account["jid"])))
    xmpp.connect(address=(account["host"], account["port"]), force_starttls=True)
    return xmpp, started


async def exchange(spec):
    receiver, receiver_started = client(spec["receiver"])
    got = asyncio.get_event_loop().create_future()

    def on_message(msg):
        if msg["body"] == spec["body"] and not got.done():
            got.set_result(str(msg["from"]))

    receiver.add_event_handler("message", on_message)
    await receiver_started
    receiver.send_presence()
    sender, sender_started = client(spec["sender"])
    await sender_started
    sender.send_presence()
    sender.send_message(mto=slixmpp.JID(spec["receiver"]["jid"]).bare, mbody=spec["body"], mtype="chat")
    sender_jid = await got
    for xmpp in (sender, receiver):
        xmpp.disconnect()
    return sender_jid


def main():
    spec = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.DEBUG if spec.get("debug") else logging.ERROR, stream=sys.stderr)
    loop = asyncio.get_event_loop()
    try:
        sender_jid = loop.run_until_complete(asyncio.wait_for(exchange(spec), spec.get("timeout", 30)))
    except Exception as error:  # a timeout or a failed login: say which
        print(json.dumps({"error": repr(error)}))
        sys.exit(1)
    print(json.dumps({"received": spec["body"], "from": sender_jid}))


if __name__ == "__main__":
    main()
