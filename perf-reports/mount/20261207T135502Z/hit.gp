set terminal pngcairo size 1000,560 noenhanced
set output '/work/main/perf-reports/mount/20261207T135502Z/hit.png'
set title "hit: Cache-hit read: first 256M of big.bin re-read after drop_caches (the filesystem's own cache, not the page cache)" noenhanced
set ylabel "MB/s (higher is better)"
set style fill solid 0.6 border -1
set boxwidth 0.6
set yrange [0:*]
set xrange [-0.6:3.6]
set xtics rotate by -25 nomirror
set grid ytics
plot '/work/main/perf-reports/mount/20261207T135502Z/hit.dat' using 0:2:xtic(1) with boxes lc rgb '#4682b4' notitle, \
     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0 notitle
