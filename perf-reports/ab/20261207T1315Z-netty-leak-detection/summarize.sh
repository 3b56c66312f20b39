#!/bin/bash
# usage: summarize.sh  -> one row per diag output in this directory: engine JIT ticks (C1+C2 compiler threads), engine
# ticks without the JIT, FUSE-thread ticks, rqbit-sim ticks (all over the measured reads), and the median MB/s of the
# measured dd reads (the first WARM (4) reads of each output are the warm-up).
HERE=$(cd "$(dirname "$0")" && pwd)
echo "| run | engine JIT ticks | engine ticks without JIT | FUSE-thread ticks | rqbit-sim ticks | median MB/s (dd) |"
echo "|---|---|---|---|---|---|"
for f in "$HERE"/round*.out; do
  med=$(grep ' copied, ' "$f" | tail -n +$(( ${WARM:-4} + 1 )) \
        | awk '{v=$(NF-1); if ($NF=="GB/s") v*=1000; print v}' | sort -n \
        | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
  awk -v name="$(basename "$f" .out)" -v med="$med" '
    /^== engine threads/ {sec="e"; next} /^== sim threads/ {sec="s"; next} /^== metrics/ {sec="m"; next}
    sec=="e" && NF>=2 { if ($1 ~ /CompilerThre/) jit+=$2; else eng+=$2; if ($1 ~ /^fuse/) fuse+=$2 }
    sec=="s" && NF>=2 { sim+=$2 }
    END { printf "| %s | %d | %d | %d | %d | %s |\n", name, jit, eng, fuse, sim, med }' "$f"
done
