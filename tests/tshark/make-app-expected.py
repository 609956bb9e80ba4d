#!/usr/bin/env python3
"""Regenerates tests/tshark/app/*.txt from tshark, for tests/it/tshark_app.rs.

Run from the repository root with tshark installed (Debian: tshark):

    python3 tests/tshark/make-app-expected.py

For every capture of ../shared/corpus it asks tshark 4.0 (`-n`, default
preferences: TCP reassembly on, QUIC Initial decryption on) for the values a
surveillance box keys on and writes, for the captures that have any, one file
listing the distinct values, one per line, as `<kind> <value>`:

    dns   dns.qry.name            (every DNS message, queries and responses)
    sni   tls.handshake.extensions_server_name  (TLS and QUIC ClientHellos)
    host  http.host
    sip   sip.Call-ID
    rcpt  smtp.req.parameter of RCPT commands, without TO:< and >

Where tshark cannot read a DNS name it prints a message in its place
(`<Name too long>`, `<Unknown extended label>`...): those are not values and
are left out (PLACEHOLDER below); `<Root>`, the root name, is kept.

Never edit the outputs by hand.
"""
import concurrent.futures
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "tests" / "tshark" / "app"
FIELDS = [
    ("dns", "dns.qry.name"),
    ("sni", "tls.handshake.extensions_server_name"),
    ("host", "http.host"),
    ("sip", "sip.Call-ID"),
    ("cmd", "smtp.req.command"),
    ("param", "smtp.req.parameter"),
]
RCPT = re.compile(r"^TO:\s*<?([^>]*)>?", re.IGNORECASE)
PLACEHOLDER = re.compile(r"^<(?!Root>$)[A-Z][A-Za-z ]*>$")


def values(path):
    args = ["tshark", "-n", "-r", str(path), "-T", "fields", "-E", "separator=\t",
            "-E", "occurrence=a", "-E", "aggregator=\x1f"]
    for _, f in FIELDS:
        args += ["-e", f]
    try:
        out = subprocess.run(args, capture_output=True, text=True, errors="replace",
                             timeout=120).stdout
    except subprocess.TimeoutExpired:
        return None
    found = set()
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        for (kind, _), col in zip(FIELDS[:4], cols[:4]):
            for v in col.split("\x1f"):
                if v and not (kind == "dns" and PLACEHOLDER.match(v)):
                    found.add((kind, v))
        cmds, params = cols[4].split("\x1f"), cols[5].split("\x1f")
        for c, p in zip(cmds, params):
            m = RCPT.match(p)
            if c.upper() == "RCPT" and m and m.group(1):
                found.add(("rcpt", m.group(1)))
    return found


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.txt"):
        old.unlink()
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".pcap", ".pcapng", ".cap"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for path, found in zip(files, pool.map(values, files)):
            if not found:
                continue
            rel = path.relative_to(CORPUS).as_posix()
            name = rel.replace("/", "__") + ".txt"
            lines = sorted(f"{k} {v}" for k, v in found)
            (OUT / name).write_text(f"# {rel}\n" + "\n".join(lines) + "\n")
            print(f"{rel}: {len(lines)} values", file=sys.stderr)


if __name__ == "__main__":
    main()
