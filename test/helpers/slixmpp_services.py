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


async def logged_in(spec, plugins):
    xmpp = client(spec, plugins)
    started = asyncio.get_event_loop().create_future()
    xmpp.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
    xmpp.add_event_handler("failed_auth", lambda _: started.done() or started.set_exception(RuntimeError("auth failed: " + spec["jid"])))
    xmpp.connect(address=(spec["host"], spec["port"]), force_starttls=True)
    await started
    return xmpp


async def admin_command(spec):
    """XEP-0133 through slixmpp's plugins: the command list (XEP-0050 §2.2), then one command with
    its form filled from spec["fields"] and completed."""
    xmpp = await logged_in(spec, ["xep_0030", "xep_0004", "xep_0050", "xep_0133"])
    listed = await xmpp["xep_0133"].get_commands()
    nodes = [item[1] for item in listed["disco_items"]["items"]]
    done = asyncio.get_event_loop().create_future()

    def on_form(iq, session):
        fields = iq["command"]["form"].get_fields()
        answer = xmpp["xep_0004"].make_form(ftype="submit")
        for name, value in spec["fields"].items():
            field = fields.get(name)
            answer.add_field(var=name, ftype=field["type"] if field is not None else None, value=value)
        answer.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/admin")
        session["payload"] = answer
        session["next"] = on_completed
        xmpp["xep_0050"].complete_command(session)

    def on_completed(iq, session):
        values = {name: field["value"] for name, field in iq["command"]["form"].get_fields().items()}
        done.done() or done.set_result({"status": iq["command"]["status"], "note": iq["command"]["notes"], "values": values})

    def on_error(iq, session):
        done.done() or done.set_result({"error": iq["error"]["condition"], "text": iq["error"]["text"]})

    getattr(xmpp["xep_0133"], spec["command"].replace("-", "_"))(session={"next": on_form, "error": on_error})
    result = await done
    result["commands"] = nodes
    xmpp.disconnect()
    return result


async def upload(spec):
    """XEP-0363 through slixmpp's plugin: service discovery, slot, PUT (aiohttp). The file's bytes
    are (i * 31 + 11) & 0xff, so the test can compare what the GET URL serves."""
    import io
    from slixmpp.plugins.xep_0363.http_upload import FileTooBig
    xmpp = await logged_in(spec, ["xep_0030", "xep_0004", "xep_0128", "xep_0363"])
    data = bytes((i * 31 + 11) & 0xFF for i in range(spec["size"]))
    # slixmpp 1.8.3's get_info_from_domain hands coroutines to asyncio.wait, which Python 3.11
    # refuses: the same discovery (the domain, then each of its items) awaited one by one fills its cache
    domain = xmpp.boundjid.domain
    disco = xmpp["xep_0030"]
    items = (await disco.get_items(domain))["disco_items"]["items"]
    disco.domain_infos[domain] = [await disco.get_info(domain)] + [await disco.get_info(item[0]) for item in items]
    try:
        url = await xmpp["xep_0363"].upload_file("slixmpp test.bin", size=len(data), content_type="application/octet-stream",
                                                 input_file=io.BytesIO(data), timeout=spec.get("timeout", 30))
        result = {"url": url, "service": str(xmpp["xep_0363"].upload_service), "maxFileSize": xmpp["xep_0363"].max_file_size}
    except FileTooBig:
        result = {"error": "FileTooBig", "maxFileSize": xmpp["xep_0363"].max_file_size}
    xmpp.disconnect()
    return result


SCENARIOS = {"register": register, "admin": admin_command, "upload": upload}


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
