#!/bin/sh
# Runs fuzz targets one after the other, each for $SECS seconds (default 600),
# one libFuzzer process at a time, under `nice`. Logs go to $LOGDIR (default
# /tmp/fuzzlogs), one `<target>.log` per target; FUZZING.md takes its figures
# from the `stat::` lines libFuzzer prints at the end.
#
#   fuzz/seed.sh && fuzz/run-all.sh                 # every target, 10 min each
#   SECS=60 fuzz/run-all.sh dns tls                 # some targets, 1 min each
set -u
cd "$(dirname "$0")"
SECS=${SECS:-600}
LOGDIR=${LOGDIR:-/tmp/fuzzlogs}
ALL="pcap_reader decode dns tls quic http sip smtp bittorrent scenario verify_log"
mkdir -p "$LOGDIR"

max_len() {
    case $1 in
        pcap_reader) echo 65536 ;;
        decode) echo 4096 ;;
        dns | scenario) echo 8192 ;;
        tls | http) echo 32768 ;;
        *) echo 16384 ;;
    esac
}

# One build for the whole batch: the binaries are copied aside, so that
# editing the sources while the batch runs does not change what is fuzzed.
# Running "$BIN/<target>" with these arguments is what `cargo fuzz run` does
# (it adds -artifact_prefix and the corpus directory the same way).
nice -n 10 cargo +nightly fuzz build || exit 1
BIN="$LOGDIR/bin"
mkdir -p "$BIN"
for t in $ALL; do cp "target/x86_64-unknown-linux-gnu/release/$t" "$BIN/"; done
echo "== build of $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- .. || echo '+changes')" \
    | tee -a "$LOGDIR/summary.txt"
for t in ${*:-$ALL}; do
    dict=""
    [ -f "dicts/$t.dict" ] && dict="-dict=dicts/$t.dict"
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "== $t: $(date -u +%FT%TZ)" | tee -a "$LOGDIR/summary.txt"
    # shellcheck disable=SC2086
    /usr/bin/time -v nice -n 10 "$BIN/$t" -artifact_prefix="artifacts/$t/" \
        -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 \
        -max_len="$(max_len "$t")" -print_final_stats=1 $dict "corpus/$t" \
        > "$LOGDIR/$t.log" 2>&1
    echo "   exit $?: $(grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$LOGDIR/$t.log" | tr '\n' ' ')" \
        | tee -a "$LOGDIR/summary.txt"
done
