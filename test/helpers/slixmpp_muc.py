#!/usr/bin/python3
"""A slixmpp (1.8, Debian) occupant for the MUC tests, driven by one JSON argument:

  slixmpp_muc.py '{"jid": "…", "password": "…", "host": "127.0.0.1", "port": 5222,
                   "room": "r@conference.example.com", "nick": "Sli", "wait_for": "hello", "say": "hi",
                   "locked_room": "p@conference…", "timeout": 20}'

It enters `room` with its xep_0045 plugin (join_muc_wait: the self-presence, history, subject),
prints {"joined": …} at once, waits for a groupchat body `wait_for`, answers `say`, then tries to
enter `locked_room` with a wrong password and reports the error condition; last it leaves `room`.
Prints one JSON line with the results; exit status 0 unless something failed. Certificates are not
checked (test certificates on loopback).
"""
import asyncio
import json
import logging
import ssl
import sys

import slixmpp
from slixmpp.exceptions import PresenceError


async def run(spec):
    xmpp = slixmpp.ClientXMPP(spec["jid"], spec["password"])
    xmpp.register_plugin("xep_0045")
    xmpp.ssl_context.check_hostname = False
    xmpp.ssl_context.verify_mode = ssl.CERT_NONE
    loop = asyncio.get_event_loop()
    started = loop.create_future()
    heard = loop.create_future()
    xmpp.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
    xmpp.add_event_handler("failed_auth", lambda _: started.done() or started.set_exception(RuntimeError("auth failed")))

    def on_groupchat(msg):
        if msg["body"] == spec["wait_for"] and not heard.done():
            heard.set_result(str(msg["from"]))

    xmpp.add_event_handler("groupchat_message", on_groupchat)
    xmpp.connect(address=(spec["host"], spec["port"]), force_starttls=True)
    await started
    xmpp.send_presence()
    muc = xmpp.plugin["xep_0045"]
    room = slixmpp.JID(spec["room"])
    presence, subject, occupants, history = await muc.join_muc_wait(room, spec["nick"], maxstanzas=5, timeout=spec["timeout"])
    result = {
        "joined": str(presence["from"]),
        "status": sorted(int(code) for code in presence["muc"]["status_codes"]),
        "role": presence["muc"]["role"],
        "occupants": sorted(str(p["from"].resource) for p in occupants),
        "history": [m["body"] for m in history],
    }
    print(json.dumps({"joined": result["joined"]}), flush=True)
    result["heard_from"] = await asyncio.wait_for(heard, spec["timeout"])
    xmpp.send_message(mto=room, mbody=spec["say"], mtype="groupchat")
    try:
        await muc.join_muc_wait(slixmpp.JID(spec["locked_room"]), spec["nick"], password="wrong", timeout=spec["timeout"])
        result["locked_error"] = None
    except PresenceError as error:
        result["locked_error"] = error.condition
    muc.leave_muc(room, spec["nick"])
    await asyncio.sleep(0.2)
    xmpp.disconnect()
    return result


def main():
    logging.basicConfig(level=logging.ERROR)
    spec = json.loads(sys.argv[1])
    try:
        result = asyncio.get_event_loop().run_until_complete(asyncio.wait_for(run(spec), spec["timeout"] * 3))
    except Exception as error:  # reported to the test as JSON
        print(json.dumps({"error": repr(error)}), flush=True)
        sys.exit(1)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
