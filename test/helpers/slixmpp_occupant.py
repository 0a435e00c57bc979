#!/usr/bin/python3
"""A slixmpp (1.8, Debian) room occupant the browser tests drive line by line.

  slixmpp_occupant.py '{"jid": "…", "password": "…", "host": "127.0.0.1", "port": 5222}'

Commands on stdin, one JSON object a line:
  {"cmd": "join", "room": "r@conference.example.com", "nick": "Sli"}
  {"cmd": "say", "room": "…", "body": "hello"}
  {"cmd": "say_many", "room": "…", "prefix": "line", "count": 40, "interval": 0.15}
  {"cmd": "leave", "room": "…", "nick": "Sli"}
  {"cmd": "request_voice", "room": "…"}   (XEP-0045 §7.13, with the plugin's request_voice)
  {"cmd": "correct", "room": "…", "body": "…"}   (XEP-0308: corrects our last groupchat message)
  {"cmd": "say_private", "to": "room@…/nick", "body": "…"}   (§7.5, type chat with <x xmlns='…muc#user'/>)
Events on stdout, one JSON object a line: {"event": "ready"}, {"event": "joined", "room", "nick",
"codes", "role"}, {"event": "message", "room", "nick", "body", "id", "stanza_id", "replace"} for every
groupchat body, {"event": "reactions", "room", "nick", "target", "reactions"} for XEP-0444 reactions,
{"event": "private", "room", "nick", "body", "muc_x"} for a private message from an occupant,
{"event": "presence", "room", "nick", "type", "codes", "role"} for every room presence, {"event": "sent",
"count"} after say/say_many, {"event": "invitation", "room", "from"}, {"event": "message_error", "room", "error"} for a
message the server refused (its condition), {"event": "error", "error"}.
Certificates are not checked (test certificates on loopback). Ends when stdin closes.
"""
import asyncio
import json
import logging
import ssl
import sys

import slixmpp
from slixmpp.xmlstream import ET
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

MUC_USER = "http://jabber.org/protocol/muc#user"


def emit(record):
    print(json.dumps(record), flush=True)


async def run(spec):
    xmpp = slixmpp.ClientXMPP(spec["jid"], spec["password"])
    xmpp.register_plugin("xep_0045")
    xmpp.ssl_context.check_hostname = False
    xmpp.ssl_context.verify_mode = ssl.CERT_NONE
    loop = asyncio.get_event_loop()
    started = loop.create_future()
    xmpp.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
    xmpp.add_event_handler("failed_auth", lambda _: started.done() or started.set_exception(RuntimeError("auth failed")))

    def on_reactions(msg):
        # (the xep_0045 plugin's groupchat_message wants a body; reactions have none)
        if msg["type"] != "groupchat":
            return
        reactions = msg.xml.find("{urn:xmpp:reactions:0}reactions")
        emit({"event": "reactions", "room": str(msg["from"].bare), "nick": msg["from"].resource, "target": reactions.get("id"),
              "reactions": [r.text for r in reactions.findall("{urn:xmpp:reactions:0}reaction")]})

    def on_groupchat(msg):
        room = str(msg["from"].bare)
        if msg["body"]:
            stanza_id = next((e.get("id") for e in msg.xml.findall("{urn:xmpp:sid:0}stanza-id") if e.get("by") == room), None)
            replace = msg.xml.find("{urn:xmpp:message-correct:0}replace")
            emit({"event": "message", "room": room, "nick": msg["from"].resource, "body": msg["body"], "id": msg["id"],
                  "stanza_id": stanza_id, "replace": replace.get("id") if replace is not None else None})

    joined = set()

    def on_message(msg):
        if msg["type"] in ("chat", "normal") and str(msg["from"].bare) in joined and msg["from"].resource and msg["body"]:
            emit({"event": "private", "room": str(msg["from"].bare), "nick": msg["from"].resource, "body": msg["body"],
                  "muc_x": msg.xml.find("{%s}x" % MUC_USER) is not None})

    def on_presence(presence):
        codes = sorted(int(code) for code in presence["muc"]["status_codes"])
        emit({"event": "presence", "room": str(presence["from"].bare), "nick": presence["from"].resource,
              "type": presence["type"], "codes": codes, "role": presence["muc"]["role"]})

    def on_message_error(msg):
        emit({"event": "message_error", "room": str(msg["from"].bare), "error": msg["error"]["condition"]})

    def on_invite(msg):
        emit({"event": "invitation", "room": str(msg["from"].bare), "from": str(msg["muc"]["invite"]["from"])})

    xmpp.add_event_handler("groupchat_message", on_groupchat)
    xmpp.add_event_handler("groupchat_presence", on_presence)
    xmpp.add_event_handler("groupchat_invite", on_invite)
    xmpp.add_event_handler("message_error", on_message_error)
    xmpp.add_event_handler("message", on_message)
    xmpp.register_handler(Callback("Reactions", MatchXPath("{jabber:client}message/{urn:xmpp:reactions:0}reactions"), on_reactions))
    last_sent = {}
    xmpp.connect(address=(spec["host"], spec["port"]), force_starttls=True)
    await started
    xmpp.send_presence()
    muc = xmpp.plugin["xep_0045"]
    emit({"event": "ready"})

    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        try:
            cmd = command["cmd"]
            if cmd == "join":
                presence, _subject, _occupants, _history = await muc.join_muc_wait(
                    slixmpp.JID(command["room"]), command["nick"], maxstanzas=0, timeout=20)
                joined.add(command["room"])
                emit({"event": "joined", "room": command["room"], "nick": presence["from"].resource,
                      "codes": sorted(int(code) for code in presence["muc"]["status_codes"]), "role": presence["muc"]["role"]})
            elif cmd == "say":
                msg = xmpp.make_message(mto=slixmpp.JID(command["room"]), mbody=command["body"], mtype="groupchat")
                msg["id"] = xmpp.new_id()
                last_sent[command["room"]] = msg["id"]
                msg.send()
                emit({"event": "sent", "count": 1, "id": msg["id"]})
            elif cmd == "correct":
                msg = xmpp.make_message(mto=slixmpp.JID(command["room"]), mbody=command["body"], mtype="groupchat")
                msg["id"] = xmpp.new_id()
                replace = ET.SubElement(msg.xml, "{urn:xmpp:message-correct:0}replace")
                replace.set("id", last_sent[command["room"]])
                msg.send()
                emit({"event": "corrected", "room": command["room"]})
            elif cmd == "say_private":
                msg = xmpp.make_message(mto=slixmpp.JID(command["to"]), mbody=command["body"], mtype="chat")
                ET.SubElement(msg.xml, "{%s}x" % MUC_USER)
                msg.send()
                emit({"event": "sent_private", "to": command["to"]})
            elif cmd == "say_many":
                for index in range(1, command["count"] + 1):
                    xmpp.send_message(mto=slixmpp.JID(command["room"]), mbody=f'{command["prefix"]} {index:02d}', mtype="groupchat")
                    await asyncio.sleep(command.get("interval", 0.15))
                emit({"event": "sent", "count": command["count"]})
            elif cmd == "request_voice":
                muc.request_voice(slixmpp.JID(command["room"]), "participant")
                emit({"event": "voice_requested", "room": command["room"]})
            elif cmd == "leave":
                muc.leave_muc(slixmpp.JID(command["room"]), command["nick"])
                emit({"event": "left", "room": command["room"]})
        except Exception as error:  # reported to the test
            emit({"event": "error", "error": repr(error)})
    xmpp.disconnect()
    await asyncio.sleep(0.2)


def main():
    logging.basicConfig(level=logging.ERROR)
    spec = json.loads(sys.argv[1])
    try:
        asyncio.get_event_loop().run_until_complete(run(spec))
    except Exception as error:
        emit({"event": "error", "error": repr(error)})
        sys.exit(1)


if __name__ == "__main__":
    main()
