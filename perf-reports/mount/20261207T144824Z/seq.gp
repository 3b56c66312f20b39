set terminal pngcairo size 1000,560 noenhanced
set output '/work/main/perf-reports/mount/20261207T144824Z/seq.png'
set title "seq: Cold sequential read of big.bin (1 MiB readinto, no hash while timed; sha256 of a 2nd pass after)" noenhanced
set ylabel "MB/s (higher is better)"
set style fill solid 0.6 border -1
set boxwidth 0.6
set yrange [0:*]
set xrange [-0.6:3.6]
set xtics rotate by -25 nomirror
set grid ytics
plot '/work/main/perf-reports/mount/20261207T144824Z/seq.dat' using 0:2:xtic(1) with boxes lc rgb '#4682b4' notitle, \
     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0 notitle
