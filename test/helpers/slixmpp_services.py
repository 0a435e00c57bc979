#!/usr/bin/python3
"""slixmpp 1.8 (Debian) against a test server, one scenario per run: in-band registration
(XEP-0077), HTTP file upload (XEP-0363), service administration (XEP-0133 over XEP-0050) and
external services (XEP-0215).

  slixmpp_services.py '{"scenario": "register", "jid": "…", "password": "…", "host": "127.0.0.1", "port": 5222, …}'

Prints one JSON line with what happened ({"ok": …} or {"error": condition, "text": …}) and exits 0
when the scenario ran (also when the server refused: the test judges the answer). Certificates are
not checked: the servers use test certificates on loopback.
"""
import asyncio
import json
import logging
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout


def client(spec, plugins):
    xmpp = slixmpp.ClientXMPP(spec["jid"], spec["password"])
    for plugin in plugins:
        xmpp.register_plugin(plugin)
    xmpp.ssl_context.check_hostname = False
    xmpp.ssl_context.verify_mode = ssl.CERT_NONE
    return xmpp


def stanza_error(error):
    return {"error": error.iq["error"]["condition"], "text": error.iq["error"]["text"], "type": error.iq["error"]["type"]}


async def register(spec):
    """XEP-0077 §3.1 through slixmpp's plugin: the form, then username and password; then SASL with them."""
    xmpp = client(spec, ["xep_0077"])
    xmpp["xep_0077"].force_registration = True
    # slixmpp 1.8 queues every stanza until the session starts, registration too; this is its switch
    xmpp._always_send_everything = True
    result = {}
    done = asyncio.get_event_loop().create_future()

    async def on_register(form):
        result["fields"] = [field for field in ("username", "password") if field in form["register"].get_fields()]
        result["instructions"] = form["register"]["instructions"]
        resp = xmpp.Iq()
        resp["type"] = "set"
        resp["register"]["username"] = xmpp.boundjid.user
        resp["register"]["password"] = xmpp.password
        try:
            await resp.send()
            result["registered"] = True
        except IqError as error:
            result.update(stanza_error(error))
            done.done() or done.set_result(None)

    def on_session(_):
        result["loggedIn"] = True
        done.done() or done.set_result(None)

    def on_failed(_):
        result["loggedIn"] = False
        done.done() or done.set_result(None)

    xmpp.add_event_handler("register", on_register)
    xmpp.add_event_handler("session_start", on_session)
    xmpp.add_event_handler("failed_auth", on_failed)
    xmpp.connect(address=(spec["host"], spec["port"]), force_starttls=True)
    await done
    xmpp.disconnect()
    return result


SCENARIOS = {"register": register}


async def main():
    spec = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.DEBUG if spec.get("debug") else logging.ERROR)
    try:
        result = await asyncio.wait_for(SCENARIOS[spec["scenario"]](spec), spec.get("timeout", 30))
    except IqError as error:
        result = stanza_error(error)
    except IqTimeout:
        result = {"error": "timeout"}
    print(json.dumps(result), flush=True)


asyncio.run(main())
