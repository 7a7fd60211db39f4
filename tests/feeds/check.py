"""The commune portal's feeds read by feedparser (PyPI), a parser written by others: the Atom
and RSS feeds of the demo's Xã Đức Hòa parse without error, hold the same posts as the JSON
API in the same order, link to pages that exist, and the sitemap lists them. Prints TAP-like
lines ("# pass N" / "# fail N") for scripts/test's total."""

import json
import os
import sys
import urllib.request
import xml.etree.ElementTree as ET

import feedparser

base = os.environ.get("XASO_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"not ok - {name} {detail}")


def get(path):
    with urllib.request.urlopen(base + path) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


_, _, body = get("/api/v1/units/27937/posts?limit=50")
api = json.loads(body)
titles = [p["title"] for p in api["posts"]]
check("the demo commune has posts", len(titles) >= 5, str(titles))

for ext, mime in (("atom", "application/atom+xml"), ("rss", "application/rss+xml")):
    status, ctype, body = get(f"/units/27937/feed.{ext}")
    check(f"{ext}: served as {mime}", status == 200 and ctype.startswith(mime), ctype)
    feed = feedparser.parse(body)
    check(f"{ext}: parses without error", not feed.bozo, repr(feed.get("bozo_exception")))
    check(f"{ext}: version", feed.version in ("atom10", "rss20"), feed.version)
    check(f"{ext}: title names the commune", "Xã Đức Hòa" in feed.feed.get("title", ""))
    check(
        f"{ext}: the same posts as the API, in order",
        [e.title for e in feed.entries] == titles,
        str([e.title for e in feed.entries]),
    )
    e = feed.entries[0]
    check(f"{ext}: entries have dates", e.get("published_parsed") or e.get("updated_parsed"))
    link_status, _, page = get(e.link[e.link.index("/posts/"):])
    check(f"{ext}: the entry's link opens its page", link_status == 200 and e.title.encode() in page)
    news = feedparser.parse(get(f"/units/27937/feed.{ext}?kind=news")[2])
    check(
        f"{ext}: the news feed holds news only",
        news.entries and all(x.get("tags", [{}])[0].get("term") == "news" for x in news.entries),
    )

status, ctype, body = get("/sitemap.xml")
ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
locs = [u.find("s:loc", ns).text for u in ET.fromstring(body).findall("s:url", ns)]
check("sitemap: served as XML", status == 200 and "xml" in ctype, ctype)
check(
    "sitemap: lists every live post of the commune",
    all(any(loc.endswith(f"/posts/{p['id']}") for loc in locs) for p in api["posts"]),
)

print(f"# pass {passed}")
print(f"# fail {failed}")
sys.exit(1 if failed else 0)
