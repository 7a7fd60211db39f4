#!/usr/bin/env python3
"""Emergency alerts on loopback: N device event streams held open against a running
`xaso demo`, then one alert issued; prints how long each stream took to get it (p50, p99,
max) and the server's resident memory before and with the streams open.

    target/release/xaso demo --listen 127.0.0.1:18095 --data-dir /tmp/xaso-bench &
    python3 scripts/bench/alerts.py http://127.0.0.1:18095 1000 <server pid>

It makes a device token for one of the demo's loudspeakers with the demo's administrator
token (all streams use that device: the fan-out is the same), issues the alert through the
officers' form, and reads the streams with asyncio (standard library only)."""

import asyncio
import re
import sys
import time
import urllib.parse
import urllib.request

base, n, pid = sys.argv[1].rstrip("/"), int(sys.argv[2]), sys.argv[3]
host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
ADMIN = "demo-admin-token"
CSRF = "bench0000000000000000000000000000000000000000"


def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        kb = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    return kb / 1024


def call(path, data=None):
    # Forms want the double-submitted CSRF token: the same value in the cookie and the field.
    req = urllib.request.Request(base + path, data=data, headers={
        "Authorization": f"Bearer {ADMIN}", "Cookie": f"xaso_csrf={CSRF}"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


# A loudspeaker of the demo and a fresh token for it.
_, _, page = call("/units/27937/broadcast")
device = re.search(r'href="/assets/([0-9a-f-]+)">[^<]*Cụm loa', page).group(1)
_, _, page = call(f"/assets/{device}/token", f"csrf={CSRF}".encode())
token = re.search(r"xsd_[A-Za-z0-9_]+", page).group(0)

got = {}
MARK = f"BENCH-{time.time_ns()}"  # this run's alert, not one still in force from an earlier run


async def stream(i, ready):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        (f"GET /api/v1/devices/{device}/events HTTP/1.1\r\nHost: {host}\r\n"
         f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n").encode()
    )
    await writer.drain()
    buf = b""
    hello = False
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        buf += chunk
        if not hello and b"event: hello" in buf:
            hello = True
            ready.release()
        if b"event: alert" in buf and MARK.encode() in buf:
            got[i] = time.perf_counter()
            writer.close()
            return


async def main():
    ready = asyncio.Semaphore(0)
    before = rss_mb()
    tasks = [asyncio.create_task(stream(i, ready)) for i in range(n)]
    for _ in range(n):
        await ready.acquire()
    held = rss_mb()
    print(f"{n} streams open; server RSS {before:.1f} MB before, {held:.1f} MB with them open")
    form = urllib.parse.urlencode({
        "csrf": CSRF, "hazard": "flood", "headline": f"{MARK} lũ", "description": "Đo thời gian.",
        "status": "Test", "hours": "1",
    }).encode()
    t0 = time.perf_counter()
    status, _, _ = await asyncio.to_thread(call, "/units/27937/alerts", form)
    assert status == 303, status
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    lat = sorted((t - t0) * 1000 for t in got.values())
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"alert received by {len(lat)}/{n} streams: p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, "
          f"max {lat[-1]:.0f} ms (from the form's POST)")


asyncio.run(main())
