set terminal pngcairo size 1400,700 font ',10' noenhanced
set output 'rss.png'
set title 'fuse-engine 20261207T142818Z: media=1000x8M, cache 512MiB (limit = cache + 256 MiB)'
set xlabel 'seconds since mount'; set ylabel 'MiB'; set y2label 'threads'; set ytics nomirror; set y2tics
set key outside bottom center horizontal; set grid
set yrange [0:*]; set y2range [0:*]
set arrow from 0.0, graph 0 to 0.0, graph 1 nohead dt 3 lc rgb "gray"
set label "start" at 0.0, graph 0.98 rotate by 90 right font ",8"
set arrow from 1.0, graph 0 to 1.0, graph 1 nohead dt 3 lc rgb "gray"
set label "idle" at 1.0, graph 0.80 rotate by 90 right font ",8"
set arrow from 10.0, graph 0 to 10.0, graph 1 nohead dt 3 lc rgb "gray"
set label "hold-1" at 10.0, graph 0.98 rotate by 90 right font ",8"
set arrow from 19.0, graph 0 to 19.0, graph 1 nohead dt 3 lc rgb "gray"
set label "open-100" at 19.0, graph 0.80 rotate by 90 right font ",8"
set arrow from 21.0, graph 0 to 21.0, graph 1 nohead dt 3 lc rgb "gray"
set label "hold-100" at 21.0, graph 0.98 rotate by 90 right font ",8"
set arrow from 29.0, graph 0 to 29.0, graph 1 nohead dt 3 lc rgb "gray"
set label "open-1000" at 29.0, graph 0.80 rotate by 90 right font ",8"
set arrow from 39.0, graph 0 to 39.0, graph 1 nohead dt 3 lc rgb "gray"
set label "hold-1000" at 39.0, graph 0.98 rotate by 90 right font ",8"
set arrow from 50.0, graph 0 to 50.0, graph 1 nohead dt 3 lc rgb "gray"
set label "closed" at 50.0, graph 0.80 rotate by 90 right font ",8"
set arrow from 59.0, graph 0 to 59.0, graph 1 nohead dt 3 lc rgb "gray"
set label "sustain" at 59.0, graph 0.98 rotate by 90 right font ",8"
set arrow from 120.0, graph 0 to 120.0, graph 1 nohead dt 3 lc rgb "gray"
set label "verify" at 120.0, graph 0.80 rotate by 90 right font ",8"
set arrow from 121.0, graph 0 to 121.0, graph 1 nohead dt 3 lc rgb "gray"
set label "end" at 121.0, graph 0.98 rotate by 90 right font ",8"
plot 'rss.dat' u 1:2 w l lw 2 t 'VmRSS', '' u 1:3 w l t 'PSS', '' u 1:6 w l t 'cache resident', 768 w l dt 2 lc rgb 'red' t 'limit', '' u 1:5 axes x1y2 w l lc rgb 'black' t 'threads (right axis)'
