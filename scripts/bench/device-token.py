#!/usr/bin/env python3
"""Prints one of the demo's loudspeakers, a fresh device token for it and its schedule's
current ETag, for load tests of the device protocol:

    read id token etag < <(python3 scripts/bench/device-token.py http://127.0.0.1:18095)
    wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer $token" -H "If-None-Match: $etag" \\
        http://127.0.0.1:18095/api/v1/devices/$id/schedule
"""

import re
import sys
import urllib.request

base = sys.argv[1].rstrip("/")
CSRF = "bench0000000000000000000000000000000000000000"


def call(path, data=None, token="demo-admin-token"):
    req = urllib.request.Request(base + path, data=data, headers={
        "Authorization": f"Bearer {token}", "Cookie": f"xaso_csrf={CSRF}"})
    with urllib.request.urlopen(req) as r:
        return r.headers, r.read().decode()


_, page = call("/units/27937/broadcast")
device = re.search(r'href="/assets/([0-9a-f-]+)">[^<]*Cụm loa', page).group(1)
_, page = call(f"/assets/{device}/token", f"csrf={CSRF}".encode())
token = re.search(r"xsd_[A-Za-z0-9_]+", page).group(0)
headers, _ = call(f"/api/v1/devices/{device}/schedule", token=token)
print(device, token, headers["ETag"])
