"""The platform's emergency alerts checked with WMO's capvalidator (PyPI), written by others:
every CAP message the demo's feed lists (an alert, an update, a cancellation, a drawn area)
follows the OASIS CAP 1.2 schema; a message spoiled on purpose does not (so the check can fail). Prints TAP-like
lines ("# pass N" / "# fail N") for scripts/test's total."""

import os
import urllib.request
import xml.etree.ElementTree as ET

import capvalidator

base = os.environ.get("XASO_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
passed = failed = 0
ATOM = "{http://www.w3.org/2005/Atom}"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"not ok - {name} {detail}")


def get(url):
    with urllib.request.urlopen(url) as r:
        return r.headers.get("Content-Type", ""), r.read()


kind, body = get(base + "/cap/alerts.atom")
check("the feed is Atom", kind.startswith("application/atom+xml"), kind)
feed = ET.fromstring(body)
links = [
    l.get("href")
    for e in feed.findall(f"{ATOM}entry")
    for l in e.findall(f"{ATOM}link")
    if l.get("type") == "application/cap+xml"
]
check("the demo's feed lists its messages", len(links) >= 4, str(len(links)))
types = set()
polygons = 0
for url in links:
    kind, cap = get(url)
    check(f"{url} is served as CAP", kind.startswith("application/cap+xml"), kind)
    result = capvalidator.validate_cap_message(cap, strict=False)
    schema = capvalidator.check_schema(cap)
    check(f"{url} follows the CAP 1.2 schema", schema.passed and result.passed, schema.message)
    root = ET.fromstring(cap)
    msg_type = root.findtext(f"{CAP}msgType")
    types.add(msg_type)
    polygons += len(root.findall(f"{CAP}info/{CAP}area/{CAP}polygon"))
    if msg_type in ("Update", "Cancel"):
        refs = root.findtext(f"{CAP}references") or ""
        check(f"{url} references the first message", len(refs.split(",")) == 3, refs)
check("alerts, updates and cancellations are all checked", {"Alert", "Update", "Cancel"} <= types, str(types))
check("a drawn area (polygon) is among the messages checked", polygons > 0, str(polygons))

# The validator must be able to say no: the first message without its sender.
_, cap = get(links[0])
spoiled = cap.replace(b"<sender>", b"<senderX>").replace(b"</sender>", b"</senderX>")
check("a spoiled message is refused", not capvalidator.check_schema(spoiled).passed)

print(f"# pass {passed}")
print(f"# fail {failed}")
