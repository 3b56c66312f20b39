#!/bin/bash
# thcpu.sh PID -> "name ticks" per thread, aggregated by name pattern
for t in /proc/$1/task/*; do n=$(cat $t/comm 2>/dev/null | sed 's/[0-9]\+/N/g; s/ /_/g'); s=$(awk '{print $14+$15}' $t/stat 2>/dev/null); echo "$n $s"; done | awk '{a[$1]+=$2} END{for(k in a) print k, a[k]}' | sort
