#!/usr/bin/python3
"""A bot as an external component (XEP-0114) with slixmpp 1.8's ComponentXMPP (Debian).

  slixmpp_component.py '{"jid": "bot.example.com", "secret": "…", "host": "127.0.0.1", "port": 5347,
                         "ping": "example.com"}'

It connects, and once the server accepted its handshake it pings `ping` (XEP-0199, from the bot's
domain) and prints one JSON line per event on stdout:
  {"event": "started"}                                  handshake accepted
  {"event": "pinged", "ok": true|false, "error": …}     the answer to its ping
  {"event": "message", "from": jid, "to": jid, "body": …} a message it got (and answered with
                                                        "echo: <body>" from the address it was sent to)
  {"event": "disconnected"}                             the server ended the stream
It answers pings and disco#info itself (slixmpp's xep_0199 and xep_0030 plugins). It runs until
its stdin closes, or exits 1 after a failed handshake (the server ends the stream).
"""
import asyncio
import json
import logging
import sys

import slixmpp
from slixmpp.componentxmpp import ComponentXMPP
from slixmpp.exceptions import IqError, IqTimeout


def say(**event):
    print(json.dumps(event), flush=True)


class Bot(ComponentXMPP):
    def __init__(self, spec):
        super().__init__(spec["jid"], spec["secret"], spec["host"], spec["port"])
        self.spec = spec
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0199")
        self.add_event_handler("session_start", self.started)
        self.add_event_handler("message", self.answer)
        self.add_event_handler("disconnected", lambda _: say(event="disconnected"))

    async def started(self, _):
        say(event="started")
        target = self.spec.get("ping")
        if target:
            try:
                await self["xep_0199"].ping(jid=slixmpp.JID(target), ifrom=self.boundjid, timeout=10)
                say(event="pinged", ok=True)
            except IqError as error:
                say(event="pinged", ok=False, error=error.iq["error"]["condition"])
            except IqTimeout:
                say(event="pinged", ok=False, error="timeout")

    def answer(self, msg):
        if msg["type"] not in ("chat", "normal") or not msg["body"]:
            return
        say(event="message", **{"from": str(msg["from"]), "to": str(msg["to"]), "body": msg["body"]})
        msg.reply("echo: " + msg["body"]).send()


async def until_stdin_closes():
    loop = asyncio.get_event_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(1024):
        pass


def main():
    spec = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.DEBUG if spec.get("debug") else logging.ERROR, stream=sys.stderr)
    bot = Bot(spec)
    bot.connect()
    loop = asyncio.get_event_loop()
    loop.run_until_complete(until_stdin_closes())
    bot.disconnect()
    loop.run_until_complete(asyncio.sleep(0.2))


if __name__ == "__main__":
    main()
