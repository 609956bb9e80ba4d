#!/usr/bin/env python3
"""Checks that generated traffic reads as real to independent dissectors (issue 26).

    python3 tests/realism/check.py IVRAIE_BINARY OUTDIR [--people N --days D --seeds 1,2,3]

Generates one capture per seed (`ivraie generate`), then asks:

- tshark 4.0: every packet decodes, none is malformed or an error (`_ws.malformed`,
  expert severity error);
- nDPI (ndpiReader 4.2): each flow's protocol is the one the generator meant,
  judged by the flow's server port and address (DNS 53, TLS/QUIC 443, HTTP 80,
  SIP 5060, SMTP 25/587, BitTorrent 6881/6969/51413, NTP 123, ICMP,
  WireGuard 51820, OpenVPN 1194, IPsec 500/4500; Tor only to the relays the
  generator's Tor users reach, 198.18.90.0/24); at least 99% must agree, and
  no flow may be called Tor or a VPN unless the generator meant it;
- Suricata 7 with no rules (with `--suricata`): its anomaly events, each of
  which must be one real clean traffic raises too (ALLOWED below);
- the mean wire size per packet (60 to 1,514 bytes expected by default).

Prints a summary and exits 1 if a criterion fails. Needs tshark and ndpiReader
(Debian: tshark, libndpi-bin), and with `--suricata` Suricata 7
(bookworm-backports).
"""
import argparse
import collections
import csv
import pathlib
import subprocess
import sys

VPN = {"WireGuard", "OpenVPN", "IPsec", "Tor"}

# Suricata anomaly events real clean traffic raises too, by (event, server port).
# APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION on SMTP: Suricata 7 recognises
# SMTP from the server's 220 greeting but has no pattern for the client's
# EHLO, so every SMTP connection raises it once (nDPI's real smtp.pcap and
# smtp-starttls.pcap do, once a connection).
ALLOWED = {
    ("APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION", 25),
    ("APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION", 587),
}


def suricata_anomalies(pcap, out):
    """Suricata's anomaly events on `pcap`, counted by (event, lower port)."""
    import json
    import tempfile
    with tempfile.TemporaryDirectory(dir=out) as d:
        subprocess.run(["suricata", "-r", str(pcap), "-l", d, "-S", "/dev/null", "-k", "none",
                        "--runmode", "single", "--set", "stream.midstream=true"],
                       capture_output=True, check=True)
        found = collections.Counter()
        for line in open(pathlib.Path(d) / "eve.json"):
            e = json.loads(line)
            if e.get("event_type") == "anomaly":
                port = min(e.get("src_port", 0), e.get("dest_port", 0))
                found[(e["anomaly"].get("event"), port)] += 1
        return found


def intent(proto, sport, dport, dst):
    """What the generator meant a flow to be, from its server side."""
    if proto == "1":
        return "ICMP"
    ports = {int(sport), int(dport)}
    udp = proto == "17"
    if dst.startswith("198.18.90.") and 443 in ports and not udp:
        return "Tor"
    table = [
        (53, "DNS"), (5060, "SIP"), (123, "NTP"), (51820, "WireGuard"), (1194, "OpenVPN"),
        (500, "IPsec"), (4500, "IPsec"), (6881, "BitTorrent"), (6969, "BitTorrent"),
        (51413, "BitTorrent"), (25, "SMTP"), (587, "SMTP"), (80, "HTTP"),
    ]
    for port, name in table:
        if port in ports:
            return name
    if 443 in ports:
        return "QUIC" if udp else "TLS"
    return "?"


def master(ndpi_proto):
    """nDPI's `TLS.YouTube` is TLS carrying YouTube: the transport is the first part."""
    first = ndpi_proto.split(".")[0]
    return {"SMTPS": "SMTP", "Mail_SMTP": "SMTP"}.get(first, first)


def agree(meant, got, full):
    if meant == got:
        return True
    # Tor is TLS to a relay: nDPI says `TLS.Tor` when the server name looks
    # random enough to it, plain `TLS` otherwise; both are what was meant.
    if meant == "Tor":
        return got == "TLS"
    # DNS over HTTPS and Private Relay are TLS/QUIC by design; nDPI may name
    # the service (a sub-protocol) as the master when it matches by address.
    return meant in ("TLS", "QUIC") and full.endswith(("DoH_DoT", "iCloudPrivateRelay"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ivraie")
    ap.add_argument("out")
    ap.add_argument("--people", type=int, default=200)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--suricata", action="store_true", help="also run Suricata 7")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    totals = collections.Counter()
    wrong = collections.Counter()
    unmeant_vpn = collections.Counter()
    anomalies = collections.Counter()
    failed = False
    for seed in a.seeds.split(","):
        pcap = out / f"gen-{seed}.pcap"
        subprocess.run([a.ivraie, "generate", "--population", str(a.people), "--days",
                        str(a.days), "--seed", seed, "-o", str(pcap)], check=True,
                       capture_output=True)
        info = subprocess.run(["capinfos", "-c", "-d", "-M", "-T", str(pcap)],
                              capture_output=True, text=True).stdout.splitlines()[-1].split("\t")
        packets, data = int(info[1]), int(info[2])
        bad = subprocess.run(["tshark", "-n", "-r", str(pcap), "-Y",
                              "_ws.malformed || _ws.expert.severity >= error", "-T", "fields",
                              "-e", "frame.number", "-e", "_ws.col.Protocol", "-e", "_ws.col.Info"],
                             capture_output=True, text=True).stdout.splitlines()
        flows = out / f"gen-{seed}.ndpi.csv"
        subprocess.run(["ndpiReader", "-i", str(pcap), "-C", str(flows)],
                       capture_output=True, check=True)
        rows = list(csv.reader(flows.open()))
        h = {k.lstrip("#"): i for i, k in enumerate(rows[0])}
        n = 0
        for r in rows[1:]:
            meant = intent(r[h["protocol"]], r[h["src_port"]], r[h["dst_port"]], r[h["dst_ip"]])
            full = r[h["ndpi_proto"]]
            got = master(full)
            n += 1
            totals[meant] += 1
            if not agree(meant, got, full):
                wrong[(meant, full)] += 1
            names = set(full.split("."))
            if names & VPN and meant not in VPN:
                unmeant_vpn[(meant, full)] += 1
        print(f"seed {seed}: {packets:,} packets, mean wire size {data / packets:,.0f} bytes, "
              f"{len(bad)} malformed for tshark, {n:,} flows for nDPI")
        for line in bad[:5]:
            print("  tshark:", line)
        if a.suricata:
            found = suricata_anomalies(pcap, out)
            anomalies.update(found)
            print(f"  Suricata: {sum(found.values())} anomaly events")
        totals["_packets"] += packets
        totals["_bytes"] += data
        failed |= bool(bad) or not 60 <= data / packets <= 1514
    flows = sum(v for k, v in totals.items() if not k.startswith("_"))
    bad_flows = sum(wrong.values())
    share = 100.0 * (flows - bad_flows) / max(flows, 1)
    print(f"all: {totals['_packets']:,} packets; nDPI agrees with the intent on "
          f"{flows - bad_flows:,} of {flows:,} flows ({share:.2f}%); "
          f"Tor or VPN where not meant: {sum(unmeant_vpn.values())}")
    for (meant, got), c in wrong.most_common(15):
        print(f"  meant {meant}, nDPI says {got}: {c}")
    for (meant, got), c in unmeant_vpn.most_common(10):
        print(f"  unmeant Tor/VPN: meant {meant}, nDPI says {got}: {c}")
    unexplained = {k: v for k, v in anomalies.items() if k not in ALLOWED}
    for (event, port), c in sorted(anomalies.items()):
        why = "as real traffic" if (event, port) in ALLOWED else "NOT EXPLAINED"
        print(f"  Suricata anomaly {event} (port {port}): {c}, {why}")
    failed |= share < 99.0 or bool(unmeant_vpn) or bool(unexplained)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
