#!/usr/bin/env python3
"""Load test of `ivraie serve`, against localhost only (issue 24).

    python3 tests/serve/load.py IVRAIE SCENARIO [CLIENTS [SECONDS]]

Starts the server on a free loopback port, then CLIENTS threads (30) each
re-simulate points for SECONDS (30): every thread walks its own sequence of
thresholds and windows, so points repeat across clients (the cache) and new
ones queue for the simulators. Every answer must be a 200 whose report has
the threshold and window asked, and the same figures each time the same point
is asked. Prints the number of requests, latencies (median, 99th percentile,
max) and the server's resident memory before and after; fails on a wrong or
inconsistent answer, an error, or memory grown by more than half. Latency
is measured and printed, not asserted (a CI machine's load decides it; the
project's rule: no timing asserts in tests) unless IVRAIE_LOAD_MAX_S is set,
as for the quiet-machine figure in BENCHMARKS.md.
"""
import json
import os
import sys
import threading
import time
import urllib.request

ivraie, scenario = sys.argv[1:3]
clients = int(sys.argv[3]) if len(sys.argv) > 3 else 30
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import start  # noqa: E402

server, base = start(ivraie, scenario)


def rss_mb():
    with open("/proc/%d/status" % server.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


WINDOWS = ["1d", "2d", "3d", "1w", "2w"]
lock = threading.Lock()
seen = {}
latencies = []
errors = []


def client(k):
    i = 0
    end = time.time() + seconds
    while time.time() < end:
        t = 1 + (k * 7 + i * 3) % 12
        w = WINDOWS[(k + i) % len(WINDOWS)]
        i += 1
        body = json.dumps({"set": ["box.watchlist.threshold=%d" % t,
                                   "box.watchlist.window=%s" % w]}).encode()
        req = urllib.request.Request(base + "/api/simulate", data=body,
                                     headers={"content-type": "application/json"})
        t0 = time.time()
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                rep = json.loads(r.read())
        except Exception as e:  # noqa: BLE001 - any failure is a failure
            with lock:
                errors.append("%s %s: %s" % (t, w, e))
            continue
        dt = time.time() - t0
        b = rep["boxes"][0]
        figures = (b["alerts"], b["flagged"], json.dumps(b.get("judged")))
        with lock:
            latencies.append(dt)
            if b["threshold"] != t or b["window"] != w:
                errors.append("asked %d/%s, got %s/%s" % (t, w, b["threshold"], b["window"]))
            if seen.setdefault((t, w), figures) != figures:
                errors.append("point %d/%s answered two ways" % (t, w))


before = rss_mb()
threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
started = time.time()
for th in threads:
    th.start()
peak = before
while any(th.is_alive() for th in threads):
    peak = max(peak, rss_mb())
    time.sleep(0.5)
wall = time.time() - started
after = rss_mb()
server.send_signal(2)
code = server.wait(timeout=20)
latencies.sort()
n = len(latencies)
print("%d clients x %.0f s: %d requests (%.1f/s), %d distinct points; latency median %.3f s, "
      "p99 %.3f s, max %.3f s; server RSS %.0f MB before, %.0f MB peak, %.0f MB after; load %s"
      % (clients, seconds, n, n / wall, len(seen), latencies[n // 2] if n else 0,
         latencies[int(n * 0.99)] if n else 0, latencies[-1] if n else 0, before, peak, after,
         open("/proc/loadavg").read().split()[0]))
fail = errors[:5]
if n == 0:
    fail.append("no request answered")
limit = os.environ.get("IVRAIE_LOAD_MAX_S")
if limit and latencies and latencies[-1] > float(limit):
    fail.append("a request took %.1f s (IVRAIE_LOAD_MAX_S=%s)" % (latencies[-1], limit))
if after > before * 1.5 + 64:
    fail.append("memory grew from %.0f to %.0f MB" % (before, after))
if code != 0:
    fail.append("serve exited %d after Ctrl-C" % code)
if fail:
    sys.exit("FAILED: " + "; ".join(fail))
print("load test OK")
