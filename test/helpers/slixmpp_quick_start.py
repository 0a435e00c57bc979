#!/usr/bin/python3
"""The README's quick start as a desktop client does it (slixmpp 1.8, Debian's /usr/bin/python3).

  slixmpp_quick_start.py '{"jid": "alice@localhost", "password": "…", "host": "127.0.0.1", "port": 5222,
                           "certificate": "…/data/certs/localhost.crt", "reply": "…", "timeout": 60}'
Connects with STARTTLS, trusting only the server's self-signed certificate (as a user who accepted
it after comparing fingerprints), checks the certificate for the domain, and prints the SHA-256
fingerprint of the certificate the server presented. Accepts subscription requests (slixmpp's
default), answers the first chat message with `reply`, and prints one JSON line per event:
{"online": true, "fingerprint": "AB:…"}, then {"received": body, "from": jid}, or {"error": …}.
"""
import asyncio
import hashlib
import json
import logging
import ssl
import sys

import slixmpp


def fingerprint(der):
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def say(record):
    print(json.dumps(record), flush=True)


async def run(spec):
    xmpp = slixmpp.ClientXMPP(spec["jid"], spec["password"])
    # trust exactly the certificate the server generated, verified for the domain (localhost)
    xmpp.ssl_context = ssl.create_default_context(cafile=spec["certificate"])
    xmpp.ssl_context.check_hostname = True
    loop = asyncio.get_event_loop()
    started = loop.create_future()
    received = loop.create_future()
    xmpp.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
    xmpp.add_event_handler("failed_auth", lambda _: started.done() or started.set_exception(RuntimeError("auth failed")))
    xmpp.add_event_handler("connection_failed", lambda error: started.done() or started.set_exception(RuntimeError("connection failed: %r" % (error,))))

    def on_message(msg):
        if msg["type"] in ("chat", "normal") and msg["body"] and not received.done():
            msg.reply(spec["reply"]).send()
            received.set_result((msg["body"], str(msg["from"])))

    xmpp.add_event_handler("message", on_message)
    xmpp.connect(address=(spec["host"], spec["port"]), force_starttls=True, disable_starttls=False)
    await started
    der = xmpp.socket.getpeercert(binary_form=True)
    xmpp.send_presence()
    await xmpp.get_roster()
    say({"online": True, "fingerprint": fingerprint(der)})
    body, sender = await received
    say({"received": body, "from": sender})
    await asyncio.sleep(0.5)  # the reply on its way before the stream closes
    xmpp.disconnect()


def main():
    spec = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.DEBUG if spec.get("debug") else logging.ERROR, stream=sys.stderr)
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(run(spec), spec.get("timeout", 60)))
    except Exception as error:  # a timeout, a refused certificate or a failed login: say which
        say({"error": repr(error)})
        sys.exit(1)


if __name__ == "__main__":
    main()
