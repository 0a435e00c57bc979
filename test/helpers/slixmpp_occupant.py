#!/usr/bin/python3
"""A slixmpp (1.8, Debian) room occupant the browser tests drive line by line.

  slixmpp_occupant.py '{"jid": "…", "password": "…", "host": "127.0.0.1", "port": 5222}'

Commands on stdin, one JSON object a line:
  {"cmd": "join", "room": "r@conference.example.com", "nick": "Sli"}
  {"cmd": "say", "room": "…", "body": "hello"}
  {"cmd": "say_many", "room": "…", "prefix": "line", "count": 40, "interval": 0.15}
  {"cmd": "leave", "room": "…", "nick": "Sli"}
Events on stdout, one JSON object a line: {"event": "ready"}, {"event": "joined", "room", "nick",
"codes"}, {"event": "message", "room", "nick", "body"} for every groupchat body,
{"event": "presence", "room", "nick", "type", "codes"} for every room presence, {"event": "sent",
"count"} after say/say_many, {"event": "invitation", "room", "from"}, {"event": "error", "error"}.
Certificates are not checked (test certificates on loopback). Ends when stdin closes.
"""
import asyncio
import json
import logging
import ssl
import sys

import slixmpp


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

    def on_groupchat(msg):
        if msg["body"]:
            emit({"event": "message", "room": str(msg["from"].bare), "nick": msg["from"].resource, "body": msg["body"]})

    def on_presence(presence):
        codes = sorted(int(code) for code in presence["muc"]["status_codes"])
        emit({"event": "presence", "room": str(presence["from"].bare), "nick": presence["from"].resource,
              "type": presence["type"], "codes": codes})

    def on_invite(msg):
        emit({"event": "invitation", "room": str(msg["from"].bare), "from": str(msg["muc"]["invite"]["from"])})

    xmpp.add_event_handler("groupchat_message", on_groupchat)
    xmpp.add_event_handler("groupchat_presence", on_presence)
    xmpp.add_event_handler("groupchat_invite", on_invite)
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
                emit({"event": "joined", "room": command["room"], "nick": presence["from"].resource,
                      "codes": sorted(int(code) for code in presence["muc"]["status_codes"])})
            elif cmd == "say":
                xmpp.send_message(mto=slixmpp.JID(command["room"]), mbody=command["body"], mtype="groupchat")
                emit({"event": "sent", "count": 1})
            elif cmd == "say_many":
                for index in range(1, command["count"] + 1):
                    xmpp.send_message(mto=slixmpp.JID(command["room"]), mbody=f'{command["prefix"]} {index:02d}', mtype="groupchat")
                    await asyncio.sleep(command.get("interval", 0.15))
                emit({"event": "sent", "count": command["count"]})
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
