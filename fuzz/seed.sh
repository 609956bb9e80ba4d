#!/bin/sh
# Builds the seed corpora fuzz/corpus/<target>/ (not committed: regenerate them
# with this script). Sources: the project's fixtures (pcaps/, scenarios/), the
# shared corpus of public test captures (../shared/corpus from the project
# root, or $IVRAIE_CORPUS), and the regression inputs in tests/fuzz-regressions/.
#
#   fuzz/seed.sh     # from anywhere; builds the targets first if needed
set -eu
cd "$(dirname "$0")"
CORPUS=${IVRAIE_CORPUS:-../../shared/corpus}
OUT=corpus
TARGETS="pcap_reader decode dns tls quic http sip smtp bittorrent scenario verify_log"
for t in $TARGETS; do mkdir -p "$OUT/$t"; done

# pcap_reader: whole captures up to 64 KiB; the first 16 KiB of larger ones
# (a cut capture is a seed too: it ends in a truncated record).
for f in ../pcaps/*.pcap "$CORPUS"/tcpdump/*.pcap* "$CORPUS"/ndpi/*.pcap* "$CORPUS"/ndpi/*.cap; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    if [ "$(wc -c < "$f")" -le 65536 ]; then
        cp "$f" "$OUT/pcap_reader/$name"
    else
        head -c 16384 "$f" > "$OUT/pcap_reader/$name.head"
    fi
done

# scenario: the bundled scenarios.
cp ../scenarios/*.toml "$OUT/scenario/"

# Frames, flows per protocol, oversight logs: extracted by ivraie itself
# (tools/make_seeds.rs, built with the targets by `cargo fuzz build`).
# The project's own captures come first so that they are always seeded.
BIN=target/x86_64-unknown-linux-gnu/release/make_seeds
nice -n 10 cargo +nightly fuzz build
ASAN_OPTIONS=detect_leaks=0 nice -n 10 "$BIN" "$OUT" ../pcaps "$CORPUS"/ndpi "$CORPUS"/tcpdump

# Inputs that once found a bug (named <target>-<what>.bin).
for f in ../tests/fuzz-regressions/*; do
    [ -f "$f" ] || continue
    t=$(basename "$f" | sed 's/-.*//')
    [ -d "$OUT/$t" ] && cp "$f" "$OUT/$t/"
done

for t in $TARGETS; do
    printf '%-12s %5d seeds %8d bytes\n' "$t" "$(ls "$OUT/$t" | wc -l)" "$(cat "$OUT/$t"/* 2>/dev/null | wc -c)"
done
