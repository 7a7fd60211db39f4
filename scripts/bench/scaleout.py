"""Two instances against one, on the same machine: stamp verification and report submission
(with a photo, stored in the S3-compatible store) through nginx in front of one instance, then in
front of two; and how long a withdrawn QR code takes to show on the other instance. Uses
tests/scaleout/check.py's set-up (PostgreSQL, moto's S3 server, the documented nginx file).
usage: XASO_BIN=target/release/xaso target/scaleout-venv/bin/python scripts/bench/scaleout.py
Needs wrk (Debian). Figures go to docs/BENCHMARKS.md."""

import pathlib
import re
import statistics
import subprocess
import sys
import time

import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/scaleout"))
import check  # noqa: E402


def wrk(url, script, env, seconds=15, connections=32):
    run = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, env=env)
    out = run.stdout
    if run.stderr.strip():
        print("  wrk: " + run.stderr.strip().splitlines()[0][:300], flush=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, int(errors.group(1)) if errors else 0


def scenario(work, procs, db_url):
    a, b, two, _, _ = check.start(work, procs, db_url)
    one = check.nginx(work, procs, [a], name="nginx-one")
    codes = check.psql(db_url, "SELECT code FROM stamps ORDER BY number").split()
    (work / "codes.txt").write_text("\n".join(codes) + "\n")
    (work / "photo.png").write_bytes(check.png(1200, 900))
    env = {"PATH": "/usr/bin:/bin", "CODES_FILE": str(work / "codes.txt"), "PHOTO": str(work / "photo.png")}
    stamps = {}
    for name, url in (("one instance", one), ("two instances", two)):
        stamps[name] = wrk(url, ROOT / "scripts/bench/stamp-scan.lua", env, connections=32)
    for name, url in (("one instance", one), ("two instances", two)):
        r = wrk(url, ROOT / "scripts/bench/feedback-submit.lua", env, seconds=10, connections=8)
        s = stamps[name]
        print(f"{name}: stamps {s[0]:.0f} req/s p99 {s[1]} ({s[2]} errors); "
              f"reports {r[0]:.0f} req/s p99 {r[1]} ({r[2]} errors)", flush=True)
        # The reports' photo jobs finish before the next measurement starts.
        check.wait_for("photo jobs done", lambda: check.psql(
            db_url, "SELECT COUNT(*) FROM queued_jobs WHERE status IN ('queued', 'running') "
            "AND kind = 'feedback.photo'") == "0", 300, 1)

    # Invalidation: B holds a code in memory, A withdraws it, B is asked until it answers 410.
    officer = check.Officer(a.base, "canbo.xaduchoa")
    places = requests.get(f"{a.base}/api/v1/places?unit=27937&limit=100").json()["places"]
    waits = []
    for p in places[:20]:
        officer.post(f"/places/{p['id']}/qr", {})
        m = re.search(r"/q/([A-Za-z0-9]+)", officer.get(f"/places/{p['id']}").text)
        if not m:
            continue
        token = m.group(1)
        requests.get(f"{b.base}/q/{token}", allow_redirects=False)
        officer.post(f"/q/{token}/retire", {"reason": "đo thời gian"})
        start = time.monotonic()
        while requests.get(f"{b.base}/q/{token}", allow_redirects=False).status_code != 410:
            if time.monotonic() - start > 10:
                break
        waits.append((time.monotonic() - start) * 1000)
    print(f"withdrawn code seen on the other instance after (ms, {len(waits)} codes): "
          f"median {statistics.median(waits):.1f}, max {max(waits):.1f}", flush=True)


if __name__ == "__main__":
    check.main(scenario)
