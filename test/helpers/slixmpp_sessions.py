#!/usr/bin/python3
"""slixmpp 1.8 (Debian) against Parley for issue 11: one scenario per run, a JSON spec in argv[1].

  slixmpp_sessions.py '{"scenario": "sm-resume", "host": "127.0.0.1", "port": 5222,
                        "alice": {"jid": "…", "password": "…"}, "bob": {…}, "timeout": 30}'

Scenarios:
  sm-resume  Alice (XEP-0198 on) gets 'one' from Bob, her TCP connection is aborted (no closing tag),
             Bob sends 'two' and 'three' to her full JID, Alice reconnects and resumes; prints
             {"received": [...], "resumed": true}.
  carbons    Alice on two resources enables XEP-0280 on both; Bob writes to alice/one, alice/one
             answers Bob; prints what alice/two saw as received and sent carbons.
  blocking   Alice blocks Bob (XEP-0191); Bob's message comes back as an error, Alice's list has
             Bob; then she unblocks him and his next message arrives.
Prints one JSON line ({"error": …} on failure) and exits 0 on success, 1 otherwise. Certificates
are not checked: the server uses test certificates on loopback.
"""
import asyncio
import json
import logging
import ssl
import sys

import slixmpp

SPEC = {}


def client(account, plugins=(), resource=None):
    jid = account["jid"] + ("/" + resource if resource else "")
    xmpp = slixmpp.ClientXMPP(jid, account["password"])
    for plugin in plugins:
        xmpp.register_plugin(plugin)
    xmpp.ssl_context.check_hostname = False
    xmpp.ssl_context.verify_mode = ssl.CERT_NONE
    started = asyncio.get_event_loop().create_future()
    xmpp.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
    xmpp.add_event_handler("failed_auth", lambda _: started.done() or started.set_exception(RuntimeError("auth failed: " + jid)))
    connect(xmpp)
    return xmpp, started


def connect(xmpp):
    xmpp.connect(address=(SPEC["host"], SPEC["port"]), force_starttls=True)


def future():
    return asyncio.get_event_loop().create_future()


async def until(condition, what):
    for _ in range(int(SPEC.get("timeout", 30) * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


async def sm_resume():
    alice, alice_started = client(SPEC["alice"], ["xep_0198"], "phone")
    enabled = future()
    alice.add_event_handler("sm_enabled", lambda _: enabled.done() or enabled.set_result(True))
    received = []
    alice.add_event_handler("message", lambda msg: received.append(msg["body"]))
    await alice_started
    await enabled
    alice.send_presence()
    bob, bob_started = client(SPEC["bob"])
    await bob_started
    bob.send_message(mto=alice.boundjid.full, mbody="one", mtype="chat")
    await until(lambda: "one" in received, "one")
    # the connection drops without a closing tag
    resumed = future()
    alice.add_event_handler("session_resumed", lambda _: resumed.done() or resumed.set_result(True))
    dropped = future()
    alice.add_event_handler("disconnected", lambda _: dropped.done() or dropped.set_result(True))
    alice.transport.abort()
    await dropped
    await asyncio.sleep(0.5)  # the server notices the drop
    for body in ("two", "three"):
        bob.send_message(mto=alice.boundjid.full, mbody=body, mtype="chat")
    await asyncio.sleep(0.2)
    connect(alice)
    await resumed
    await until(lambda: "three" in received, "three")
    for xmpp in (alice, bob):
        xmpp.disconnect()
    return {"received": received, "resumed": True}


async def carbons():
    one, one_started = client(SPEC["alice"], ["xep_0280"], "one")
    two, two_started = client(SPEC["alice"], ["xep_0280"], "two")
    await one_started
    await two_started
    for xmpp in (one, two):
        await xmpp.plugin["xep_0280"].enable()
        xmpp.send_presence()
    seen = {"received": [], "sent": []}
    two.add_event_handler("carbon_received", lambda msg: seen["received"].append(
        {"body": msg["carbon_received"]["body"], "from": str(msg["carbon_received"]["from"]), "to": str(msg["carbon_received"]["to"]),
         "stanza_id": msg["carbon_received"].xml.find("{urn:xmpp:sid:0}stanza-id") is not None}))
    two.add_event_handler("carbon_sent", lambda msg: seen["sent"].append(
        {"body": msg["carbon_sent"]["body"], "from": str(msg["carbon_sent"]["from"]), "to": str(msg["carbon_sent"]["to"]),
         "stanza_id": msg["carbon_sent"].xml.find("{urn:xmpp:sid:0}stanza-id") is not None}))
    got = []
    one.add_event_handler("message", lambda msg: got.append(msg["body"]))
    bob, bob_started = client(SPEC["bob"])
    await bob_started
    bob_got = []
    bob.add_event_handler("message", lambda msg: bob_got.append(msg["body"]))
    bob.send_presence()
    bob.send_message(mto=one.boundjid.full, mbody="hello alice", mtype="chat")
    await until(lambda: "hello alice" in got, "Bob's message at alice/one")
    one.send_message(mto=bob.boundjid.bare, mbody="hello bob", mtype="chat")
    await until(lambda: "hello bob" in bob_got, "Alice's answer at Bob")
    await until(lambda: seen["received"] and seen["sent"], "carbons at alice/two")
    for xmpp in (one, two, bob):
        xmpp.disconnect()
    return seen


async def blocking():
    alice, alice_started = client(SPEC["alice"], ["xep_0191"], "desk")
    bob, bob_started = client(SPEC["bob"])
    await alice_started
    await bob_started
    alice.send_presence()
    bob.send_presence()
    got = []
    alice.add_event_handler("message", lambda msg: got.append(msg["body"]))
    errors = []
    bob.add_event_handler("message_error", lambda msg: errors.append(msg["error"]["condition"]))
    await alice.plugin["xep_0191"].block(slixmpp.JID(SPEC["bob"]["jid"]))
    blocked = await alice.plugin["xep_0191"].get_blocked()
    listed = sorted(str(jid) for jid in blocked["blocklist"]["items"])
    bob.send_message(mto=alice.boundjid.bare, mbody="can you hear me", mtype="chat")
    await until(lambda: errors, "the error for Bob")
    await alice.plugin["xep_0191"].unblock(slixmpp.JID(SPEC["bob"]["jid"]))
    bob.send_message(mto=alice.boundjid.bare, mbody="and now", mtype="chat")
    await until(lambda: "and now" in got, "Bob's message after unblocking")
    for xmpp in (alice, bob):
        xmpp.disconnect()
    return {"listed": listed, "errors": errors, "received": got}


SCENARIOS = {"sm-resume": sm_resume, "carbons": carbons, "blocking": blocking}


def main():
    SPEC.update(json.loads(sys.argv[1]))
    logging.basicConfig(level=logging.DEBUG if SPEC.get("debug") else logging.ERROR, stream=sys.stderr)
    loop = asyncio.get_event_loop()
    try:
        result = loop.run_until_complete(asyncio.wait_for(SCENARIOS[SPEC["scenario"]](), SPEC.get("timeout", 30)))
    except Exception as error:
        print(json.dumps({"error": repr(error)}))
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
