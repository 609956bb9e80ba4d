#!/usr/bin/env python3
"""Regenerates tests/tshark/expected/*.conv from tshark, for tests/it/tshark_agreement.rs.

Run from the repository root, with tshark and capinfos installed (Debian: tshark):

    python3 tests/tshark/make-expected.py

For each capture listed in tests/tshark/captures.txt it records capinfos' packet
count and tshark's TCP and UDP conversations (`tshark -n -r F -q -z conv,tcp -z
conv,udp`), one line per conversation: proto, both endpoints, frames, and bytes
when tshark prints them exactly (it switches to kB/MB for larger values; those
are written as `-` and only frames are compared). Never edit the outputs by hand.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "tests" / "tshark" / "expected"
ROW = re.compile(
    r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+"
    r"(\d+)\s+(\S+ \S+)\s+(\d+)\s+(\S+ \S+)\s+(\d+)\s+(\S+ \S+)\s"
)


def exact(size):
    num, unit = size.split()
    return num if unit == "bytes" else "-"


def conversations(path):
    out = subprocess.run(
        ["tshark", "-n", "-r", str(path), "-q", "-z", "conv,tcp", "-z", "conv,udp"],
        capture_output=True, text=True, check=True,
    ).stdout
    proto, rows = None, []
    for line in out.splitlines():
        if line.startswith("TCP Conversations"):
            proto = "tcp"
        elif line.startswith("UDP Conversations"):
            proto = "udp"
        m = ROW.match(line)
        if m and proto:
            a, pa, b, pb = m.group(1), m.group(2), m.group(3), m.group(4)
            frames, size = m.group(9), exact(m.group(10))
            rows.append(f"{proto} {a.strip('[]')} {pa} {b.strip('[]')} {pb} {frames} {size}")
    return sorted(rows)


def packets(path):
    out = subprocess.run(["capinfos", "-c", "-T", "-r", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return int(out.split("\t")[1])


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    listed = (ROOT / "tests" / "tshark" / "captures.txt").read_text().splitlines()
    for entry in listed:
        rel = entry.split("#")[0].strip()
        if not rel:
            continue
        path = CORPUS / rel
        rows = conversations(path)
        name = rel.replace("/", "__") + ".conv"
        text = f"# tshark conversations of {rel}\npackets {packets(path)}\n" + "\n".join(rows) + "\n"
        (OUT / name).write_text(text)
        print(f"{rel}: {len(rows)} conversations", file=sys.stderr)


if __name__ == "__main__":
    main()
