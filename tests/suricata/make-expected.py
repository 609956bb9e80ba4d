#!/usr/bin/env python3
"""Regenerates tests/suricata/expected/*.txt from Suricata 7, for tests/it/suricata_app.rs.

Run from the repository root with Suricata 7 installed (Debian bookworm:
`apt-get install -t bookworm-backports suricata`):

    python3 tests/suricata/make-expected.py             # every capture
    python3 tests/suricata/make-expected.py ndpi/sip.pcap   # just these

For every capture of ../shared/corpus it runs Suricata with no rules
(`-S /dev/null`, checksums not checked, one thread, the packaged
suricata.yaml with PostgreSQL enabled, JA3 computed, and TCP connections
picked up mid-stream or seen one way, as ivraie does), reads the dns, tls,
http, smtp and sip events of its eve.json and writes, for the captures that
have any, one file listing the distinct values, one per line, as
`<kind> <value>`:

    dns      dns.rrname (queries and answers) and dns.queries[].rrname; the
             root name, an empty rrname, as `.`
    sni      tls.sni
    subject  tls.subject
    ja3      tls.ja3.hash
    host     http.hostname
    url      http.url, but libhtp's placeholder for a response whose request
             was not seen (`/libhtp::request_uri_not_seen`)
    ua       http.http_user_agent
    status   http.status
    helo     smtp.helo
    from     smtp.mail_from, without < and >
    rcpt     smtp.rcpt_to[], without < and >
    callee   the user part of sip.uri in INVITE requests (who is called)

Values containing a newline or a tab are left out (they cannot be written one
per line). Never edit the outputs by hand.
"""
import concurrent.futures
import json
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "tests" / "suricata" / "expected"
# Like ivraie, pick up connections whose handshake is not in the capture
# (midstream) and connections seen one way only (async-oneside): by default
# Suricata ignores both, and many test captures start mid-connection.
SETS = [
    "stream.midstream=true",
    "stream.async-oneside=true",
    "app-layer.protocols.pgsql.enabled=yes",
    "app-layer.protocols.tls.ja3-fingerprints=yes",
    "app-layer.protocols.sip.enabled=yes",
]


def bare(v):
    v = v.strip()
    if v.startswith("<") and v.endswith(">"):
        v = v[1:-1]
    return v


def values(path):
    with tempfile.TemporaryDirectory() as d:
        args = ["suricata", "-r", str(path), "-l", d, "-S", "/dev/null", "-k", "none",
                "--runmode", "single"]
        for s in SETS:
            args += ["--set", s]
        # Suricata waits a minute before it gives up on a link type it does not
        # read: stop it as soon as its log says so (the capture has no values).
        log = pathlib.Path(d) / "suricata.log"
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while proc.poll() is None:
            text = log.read_text(errors="replace") if log.exists() else ""
            if "Failed to init pcap file" in text or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                return set()
            time.sleep(0.05)
        found = set()
        eve = pathlib.Path(d) / "eve.json"
        if not eve.exists():
            return found
        for line in eve.read_text(errors="replace").splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            t = e.get("event_type")
            add = lambda k, v: found.add((k, str(v))) if v not in (None, "") else None
            if t == "dns":
                d_ = e.get("dns", {})
                names = [d_.get("rrname")] + [q.get("rrname") for q in d_.get("queries") or []]
                for n in names:
                    # The root name is an empty rrname; ivraie writes it `.`.
                    add("dns", "." if n == "" else n)
            elif t == "tls":
                tl = e.get("tls", {})
                add("sni", tl.get("sni"))
                add("subject", tl.get("subject"))
                add("ja3", (tl.get("ja3") or {}).get("hash"))
            elif t == "http":
                h = e.get("http", {})
                add("host", h.get("hostname"))
                # A response whose request was not seen: a placeholder, not a URL.
                if h.get("url") != "/libhtp::request_uri_not_seen":
                    add("url", h.get("url"))
                add("ua", h.get("http_user_agent"))
                add("status", h.get("status"))
            elif t == "smtp":
                s = e.get("smtp", {})
                add("helo", s.get("helo"))
                if s.get("mail_from"):
                    add("from", bare(s["mail_from"]))
                for r in s.get("rcpt_to", []) or []:
                    add("rcpt", bare(r))
            elif t == "sip":
                sip = e.get("sip", {})
                uri = sip.get("uri") or ""
                if sip.get("method") == "INVITE" and ":" in uri and "@" in uri:
                    add("callee", uri.split(":", 1)[1].split("@", 1)[0])
        return {(k, v) for k, v in found if "\n" not in v and "\r" not in v and "\t" not in v}


def name(rel):
    return str(rel).replace("/", "__") + ".txt"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    if sys.argv[1:]:
        files = [CORPUS / a for a in sys.argv[1:]]
        for p in files:
            (OUT / name(p.relative_to(CORPUS))).unlink(missing_ok=True)
    else:
        for old in OUT.glob("*.txt"):
            old.unlink()
        files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".pcap", ".pcapng", ".cap"))
    n = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for path, found in zip(files, pool.map(values, files)):
            if not found:
                continue
            rel = path.relative_to(CORPUS)
            lines = [f"# {rel}"] + [f"{k} {v}" for k, v in sorted(found)]
            (OUT / name(rel)).write_text("\n".join(lines) + "\n")
            n += 1
    print(f"{n} captures with values", file=sys.stderr)


if __name__ == "__main__":
    main()
