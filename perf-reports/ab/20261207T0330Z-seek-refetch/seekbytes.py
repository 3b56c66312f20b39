#!/usr/bin/env python3
"""seekbytes.py MOUNTED_FILE ORIGINAL_FILE STATS_URL SEEKS RUN_MIB SEED

A player's seeks: SEEKS times, seek to a random 4 KiB-aligned offset of MOUNTED_FILE (dropping the page cache first,
so the kernel asks the file system), read RUN_MIB MiB on from there in 1 MiB reads, and compare every byte with
ORIGINAL_FILE. Prints the bytes read, the bytes the backend served meanwhile (rqbit-sim's stream counter at STATS_URL:
first field), their ratio, and how many runs matched."""
import os, random, sys, urllib.request

mounted, original, stats, seeks, run_mib, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])

def served():
    return int(urllib.request.urlopen(stats, timeout=5).read().split()[0])

size = os.path.getsize(original)
rng = random.Random(seed)
run = run_mib << 20
read_total, ok = 0, 0
with open(original, 'rb') as orig:
    before = served()
    for _ in range(seeks):
        with open('/proc/sys/vm/drop_caches', 'w') as f:
            f.write('1')
        pos = rng.randrange(0, size - run) & ~4095
        fd = os.open(mounted, os.O_RDONLY)
        try:
            got = bytearray()
            while len(got) < run:
                b = os.pread(fd, 1 << 20, pos + len(got))
                if not b:
                    break
                got += b
        finally:
            os.close(fd)
        orig.seek(pos)
        ok += 1 if orig.read(len(got)) == bytes(got) and len(got) == run else 0
        read_total += len(got)
    after = served()
print(f"read_bytes={read_total} backend_bytes={after - before} ratio={(after - before) / read_total:.3f} ok={ok}/{seeks}")
