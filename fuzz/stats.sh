#!/bin/sh
# Prints the figures of a run-all.sh batch as a Markdown table (the table in
# FUZZING.md), from the logs in $LOGDIR (default /tmp/fuzzlogs).
LOGDIR=${LOGDIR:-/tmp/fuzzlogs}
echo "| target | corpus at start | executions | exec/s | time (s) | new units | peak RSS (MB) | crashes, timeouts, OOM |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for t in ${*:-pcap_reader decode dns tls quic http sip smtp bittorrent scenario verify_log}; do
    log="$LOGDIR/$t.log"
    [ -f "$log" ] || continue
    stat() { grep "^stat::$1:" "$log" | awk '{print $2}'; }
    start=$(grep -o 'seed corpus: files: [0-9]*' "$log" | awk '{print $4}')
    secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | awk '{print $5}')
    bad=$(grep -cE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)' "$log")
    echo "| $t | $start | $(stat number_of_executed_units) | $(stat average_exec_per_sec) | ${secs:-(stopped)} | $(stat new_units_added) | $(stat peak_rss_mb) | $bad |"
done
