#!/usr/bin/env bash
# Whole-run benchmark: `ivraie extract` (flows only, all dissectors), `ivraie
# run` with one box, and peer tools on one capture, side by side.
#
# Two workloads:
#   BENCH_CAPTURE=real (default): about 10 M packets of real application
#     traffic, built once by ../shared/bench/make-real-bench.sh from the nDPI
#     captures of the shared corpus (a few minutes, 3.3 GB); `run` uses
#     benches/real-run.toml.
#   BENCH_CAPTURE=generated: the project's generator (examples/bench_capture.rs).
#
# Builds release, makes the capture once, warms the page cache, then runs each
# tool BENCH_RUNS times under /usr/bin/time -v and prints a Markdown table of
# the median run: packets/s, wall seconds, peak RSS, and the load average.
#
# Environment (all optional):
#   CARGO_TARGET_DIR  cargo target directory     (default /tmp/iv/target-bench)
#   BENCH_DIR         capture and scratch files  (default /tmp/ivraie-bench)
#   BENCH_CAPTURE     real or generated          (default real)
#   BENCH_PACKETS     packets in the capture     (default 10000000 real, 5000000 generated)
#   BENCH_SEED        generator seed             (default 1)
#   BENCH_THREADS     ivraie --threads           (default 2)
#   BENCH_RUNS        runs per tool, median kept (default 3)
#   BENCH_ONLY        a regular expression: run only the tools it matches
#
# Peers (skipped if not installed): ndpiReader (libndpi-bin), softflowd,
# Suricata 7 with no rules (bookworm-backports), tcpdump.
# softflowd is run twice: as packaged (-m 8192 flows, NetFlow v5, which drops
# IPv6) and with a flow cap and IPv6 tracking comparable to ivraie's. Never give
# softflowd `-c` with `-r`: it then waits forever on its control socket.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/iv/target-bench}
WORK=${BENCH_DIR:-/tmp/ivraie-bench}
CAPTURE=${BENCH_CAPTURE:-real}
SEED=${BENCH_SEED:-1}
THREADS=${BENCH_THREADS:-2}
RUNS=${BENCH_RUNS:-3}
ONLY=${BENCH_ONLY:-.}
case "$CAPTURE" in
    real) PACKETS=${BENCH_PACKETS:-10000000}; F=$WORK/real.pcap ;;
    generated) PACKETS=${BENCH_PACKETS:-5000000}; F=$WORK/bench.pcap ;;
    *) echo "BENCH_CAPTURE must be real or generated" >&2; exit 2 ;;
esac
META=$F.meta

mkdir -p "$WORK"
echo "building (target dir $CARGO_TARGET_DIR)..." >&2
(cd "$ROOT" && cargo build --release --quiet --bin ivraie --example bench_capture)
IVRAIE=$CARGO_TARGET_DIR/release/ivraie
GEN=$CARGO_TARGET_DIR/release/examples/bench_capture

if [ "$CAPTURE" = real ]; then
    want="real, packets $PACKETS"
    if [ ! -s "$F" ] || { [ -s "$META" ] && [ "$(head -n1 "$META")" != "$want" ]; }; then
        echo "building $F from the nDPI captures ($PACKETS packets; a few minutes)..." >&2
        rm -f "$META"
        bash "$ROOT/../shared/bench/make-real-bench.sh" "$F.tmp.pcap" "$PACKETS"
        mv "$F.tmp.pcap" "$F"
    fi
    if [ ! -s "$META" ]; then
        # Built here or by hand with make-real-bench.sh: described, not rebuilt.
        n=$(capinfos -T -r -c "$F" | cut -f2)
        size=$(stat -c %s "$F")
        { echo "$want"; echo "packets $n"; echo "avg_packet_bytes $(( (size - 24) / n - 16 ))"; } > "$META"
    fi
    SCENARIO=$ROOT/benches/real-run.toml
else
    want="seed $SEED, packets $PACKETS"
    if [ ! -s "$F" ] || [ ! -s "$META" ] || [ "$(head -n1 "$META")" != "$want" ]; then
        echo "generating $F ($PACKETS packets, seed $SEED)..." >&2
        rm -f "$F" "$META"
        "$GEN" --packets "$PACKETS" --seed "$SEED" -o "$F.tmp" > "$WORK/gen.out"
        mv "$F.tmp" "$F"
        { echo "$want"; cat "$WORK/gen.out"; } > "$META"
    fi
    SCENARIO=$ROOT/benches/real-run.toml
fi
n_packets=$(awk '$1 == "packets" {print $2}' "$META")
avg_len=$(awk '$1 == "avg_packet_bytes" {print $2}' "$META")
file_bytes=$(stat -c %s "$F")

# Read it once so every tool starts from the page cache.
cat "$F" > /dev/null

rows=()
cmds=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# measure NAME CMD...: runs CMD $RUNS times, keeps the median run.
measure() {
    local name=$1
    shift
    if ! [[ $name =~ $ONLY ]]; then
        return
    fi
    if ! command -v "$1" > /dev/null 2>&1; then
        rows+=("| $name | not installed | | |")
        return
    fi
    cmds+=("$name: \`$*\`")
    local best_wall="" best_rss="" status=0 runs=()
    for _ in $(seq "$RUNS"); do
        rm -rf "$WORK/out"
        mkdir -p "$WORK/out"
        local t0 t1 rc=0
        t0=$(date +%s%N)
        /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$WORK/stdout.txt" 2> "$WORK/stderr.txt" || rc=$?
        t1=$(date +%s%N)
        if [ "$rc" -ne 0 ]; then
            status=$rc
            echo "$name exited with status $rc; stderr:" >&2
            tail -n 5 "$WORK/stderr.txt" >&2
            continue
        fi
        local wall rss
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
        rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$WORK/time.txt")
        runs+=("$wall $rss")
    done
    if [ "${#runs[@]}" -gt 0 ]; then
        local mid
        mid=$(printf '%s\n' "${runs[@]}" | sort -n | awk -v n="${#runs[@]}" 'NR == int((n + 1) / 2)')
        best_wall=${mid% *}
        best_rss=${mid#* }
    fi
    if [ -z "$best_wall" ]; then
        rows+=("| $name | failed (status $status) | | |")
        return
    fi
    rows+=("$(awk -v n="$name" -v p="$n_packets" -v w="$best_wall" -v r="$best_rss" \
        'BEGIN {printf "| %s | %.2f M | %.2f | %.0f |", n, p / w / 1e6, w, r / 1024}')")
    echo "$name: ${best_wall} s, $((best_rss / 1024)) MB" >&2
}

measure "ivraie extract --flows-only (--threads $THREADS)" \
    "$IVRAIE" extract --threads "$THREADS" --no-progress --flows-only "$F" -o "$WORK/out/x"
measure "ivraie extract, all dissectors (--threads $THREADS)" \
    "$IVRAIE" extract --threads "$THREADS" --no-progress "$F" -o "$WORK/out/x"
measure "ivraie run, one L851-3 box (--threads $THREADS)" \
    "$IVRAIE" run "$SCENARIO" --captures "$F" --threads "$THREADS" --no-progress -o "$WORK/out/x"
measure "ndpiReader" ndpiReader -i "$F" -q
measure "Suricata 7 (no rules)" suricata -r "$F" -S /dev/null -k none -l "$WORK/out"
measure "softflowd (packaged defaults)" softflowd -r "$F" -d
measure "softflowd (-m 1M, IPv6, NetFlow v9)" \
    softflowd -r "$F" -d -m 1000000 -6 -v 9 -n 127.0.0.1:9995
measure "tcpdump -w /dev/null" tcpdump -r "$F" -w /dev/null

echo
echo "Capture: $F, $n_packets packets, $file_bytes bytes," \
    "average packet $avg_len bytes ($CAPTURE). $(nproc) cores; median of $RUNS runs;" \
    "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| tool | packets/s | wall s | peak RSS MB |"
echo "| --- | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
echo "Commands:"
printf -- '- %s\n' "${cmds[@]}"
