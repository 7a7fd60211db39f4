#!/usr/bin/env python3
"""Start-up time and idle memory of `xaso serve` on an existing database.

Usage: scripts/bench-startup.py [BINARY] [RUNS]
Loads the demo once into a temporary data folder (with `xaso demo`, stopped as soon as it is
ready), then starts `xaso serve` RUNS times on that database and reports, for each run, the time
from exec to the first 200 from /readyz, and the resident memory (VmRSS) after 3 s idle.
Talks only to 127.0.0.1.
"""
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/xaso"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ready(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        c.request("GET", "/readyz")
        ok = c.getresponse().status == 200
        c.close()
        return ok
    except OSError:
        return False


def start(args, port, data):
    env = dict(os.environ, XASO_DATA_DIR=data, XASO_LISTEN=f"127.0.0.1:{port}")
    env.pop("XASO_DATABASE_URL", None)
    return subprocess.Popen([binary, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(proc, port, limit=60.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if proc.poll() is not None:
            raise SystemExit("xaso exited early")
        if ready(port):
            return time.monotonic() - t0
        time.sleep(0.002)
    raise SystemExit("xaso did not become ready")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"VmRSS:\s+(\d+) kB", f.read())
    return int(m.group(1))


with tempfile.TemporaryDirectory() as data:
    port = free_port()
    p = start(["demo"], port, data)
    wait_ready(p, port)
    p.terminate()
    p.wait()
    times, rss = [], []
    for _ in range(runs):
        port = free_port()
        t0 = time.monotonic()
        p = start(["serve"], port, data)
        wait_ready(p, port)
        times.append(time.monotonic() - t0)
        time.sleep(3)
        rss.append(rss_kib(p.pid))
        p.terminate()
        p.wait()
    print(f"start to ready: median {statistics.median(times) * 1000:.0f} ms (runs: {', '.join(f'{t * 1000:.0f}' for t in times)} ms)")
    print(f"idle RSS after 3 s: median {statistics.median(rss) / 1024:.1f} MiB (runs: {', '.join(f'{r / 1024:.1f}' for r in rss)} MiB)")
