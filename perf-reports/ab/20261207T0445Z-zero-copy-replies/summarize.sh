#!/bin/bash
# usage: summarize.sh DIR -> one line per diag output: MB/s of the measured reads, FUSE-thread ticks and context
# switches, response-thread and engine ticks, sim I/O ticks, and how the reads were replied
for f in "$1"/round*.out; do
  speeds=$(grep -E "bytes .* copied" "$f" | tail -4 | awk '{v=$(NF-1); if ($NF=="GB/s") v*=1000; printf "%d ", v}')
  awk -v name="$(basename "$f" .out)" -v speeds="$speeds" '
    /== engine threads/ {e=1; next} /== sim/ {e=0; s=1; next} /== metrics/ {s=0; m=1; next}
    e && /^fuse-/ {f+=$2; c+=substr($3,4)} e && /^fe-http/ {h+=$2} e && /^C[12]_/ {j+=$2} e {t+=$2}
    s && /rqbit-sim-io/ {sim=$2}
    m && /read_replies_zero_copy/ {z=$2} m && /read_replies_copied/ {cp=$2}
    END {printf "| %s | %s| %d | %d | %d | %d | %d | %d | %s / %s |\n", name, speeds, f, c, h, t - j, j, sim, (z==""?"-":z), (cp==""?"-":cp)}' "$f"
done
