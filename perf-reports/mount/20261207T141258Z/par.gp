set terminal pngcairo size 1000,560 noenhanced
set output '/work/main/perf-reports/mount/20261207T141258Z/par.png'
set title "par: Parallel readers: one thread per par/ file, each read whole + sha256" noenhanced
set ylabel "MB/s aggregate (higher is better)"
set style fill solid 0.6 border -1
set boxwidth 0.6
set yrange [0:*]
set xrange [-0.6:2.6]
set xtics rotate by -25 nomirror
set grid ytics
plot '/work/main/perf-reports/mount/20261207T141258Z/par.dat' using 0:2:xtic(1) with boxes lc rgb '#4682b4' notitle, \
     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0 notitle
