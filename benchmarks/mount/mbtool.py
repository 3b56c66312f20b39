#!/usr/bin/env python3
"""Helpers of mount-bench.sh: timed reads with sha256 verification, cache-hit re-reads, first-byte latency, media scan, fio parsing,
nginx mirror set-up and the report (results.md + gnuplot plots). Standard library only.

Every read helper verifies what it read against the expected content and prints one line of
space-separated fields; the shell script turns it into CSV. seq and hit, with MB_CPU_PIDS set in the environment
("fs=PID backend=PID,PID", a role may be empty), append two fields: the CPU seconds (utime+stime) of each role's
processes during the timed read only, or "-" (no pids, or one of them is gone)."""
import hashlib
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

CHUNK = 1 << 20
CPU_ROLES = ('fs', 'backend', 'fs_jit', 'backend_jit')
JIT_THREADS = ('C1 CompilerThre', 'C2 CompilerThre')   # HotSpot's compiler threads, as /proc/PID/task/TID/comm names them


def cpu_pids():
    """MB_CPU_PIDS ("fs=123 backend=456,789") -> {role: [pid, ...]}, or None if it is not set"""
    spec = os.environ.get('MB_CPU_PIDS')
    if spec is None:
        return None
    roles = {}
    for part in spec.split():
        role, _, pids = part.partition('=')
        roles[role] = [p for p in pids.split(',') if p]
    return roles


def stat_ticks(path):
    """utime+stime in clock ticks of a /proc/PID/stat or /proc/PID/task/TID/stat file (fields 14+15)"""
    with open(path) as f:
        fields = f.read().rsplit(')', 1)[1].split()   # fields[0] is field 3 (state)
    return int(fields[11]) + int(fields[12])


def jit_ticks(pid):
    """utime+stime of the JIT compiler threads of PID (0 for a process that has none, such as nginx)"""
    t = 0
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/comm') as f:
                if not f.read().startswith(JIT_THREADS):
                    continue
            t += stat_ticks(f'/proc/{pid}/task/{tid}/stat')
        except OSError:
            pass   # the thread ended meanwhile
    return t


def cpu_sample(roles):
    """{role: utime+stime in clock ticks summed over its pids, or None}; None if ROLES is. fs_jit, backend_jit: the
    part of fs's or backend's that its JIT compiler threads used (a process still compiling is not warm yet)"""
    if roles is None:
        return None
    res = {}
    for role in CPU_ROLES:
        jit = role.endswith('_jit')
        pids, t = roles.get(role[:-4] if jit else role, []), 0
        try:
            for p in pids:
                t += jit_ticks(p) if jit else stat_ticks(f'/proc/{p}/stat')
        except (OSError, IndexError, ValueError):
            t = None
        res[role] = t if pids else None
    return res


def cpu_fields(before, after):
    """the CPU seconds of each role between two cpu_sample()s: [] if not sampled, else one field per role ('-': none)"""
    if before is None or after is None:
        return []
    hz = os.sysconf('SC_CLK_TCK')
    return [f"{(after[r] - before[r]) / hz:.2f}" if before[r] is not None and after[r] is not None else '-'
            for r in CPU_ROLES]


def read_hash(path, pipelined=True):
    """Reads the whole file with 1 MiB reads; hashes it on a second thread (hashlib releases the GIL) so the
    hash overlaps the reads. Returns (bytes, seconds, hexdigest)."""
    h = hashlib.sha256()
    q = queue.Queue(maxsize=8)

    def hasher():
        while True:
            b = q.get()
            if b is None:
                return
            h.update(b)

    t = threading.Thread(target=hasher) if pipelined else None
    total = 0
    t0 = time.perf_counter()
    if t:
        t.start()
    fd = os.open(path, os.O_RDONLY)
    try:
        while True:
            b = os.read(fd, CHUNK)
            if not b:
                break
            total += len(b)
            if t:
                q.put(b)
            else:
                h.update(b)
    finally:
        os.close(fd)
        if t:
            q.put(None)
            t.join()
    return total, time.perf_counter() - t0, h.hexdigest()


def hash_from_start(f, buf, limit=None):
    """sha256 of an open file's first LIMIT bytes (all of it if None), read from offset 0 into BUF (reused).
    Returns (bytes, hexdigest)."""
    h = hashlib.sha256()
    mv = memoryview(buf)
    total = 0
    f.seek(0)
    while limit is None or total < limit:
        k = f.readinto(mv if limit is None or limit - total >= len(mv) else mv[:limit - total])
        if not k:
            break
        h.update(mv[:k])
        total += k
    return total, h.hexdigest()


def read_plain(path, limit=None, rehash=False, cpu=None):
    """The timed read without a hash: the whole file (or its first LIMIT bytes) with 1 MiB readinto calls into one
    reused buffer (no allocation per read). Returns (bytes, seconds, again): with REHASH, after the clock stopped,
    the same bytes are read again from offset 0 through the same open file and hashed, again = (bytes, hexdigest)
    (the kernel serves them from the page cache the timed pass filled, unless the file system bypasses it);
    else again = None. CPU (a list): a cpu_sample(cpu_pids()) right before and one right after the timed part are
    appended to it."""
    buf = bytearray(CHUNK)
    mv = memoryview(buf)
    total = 0
    roles = cpu_pids() if cpu is not None else None
    if cpu is not None:
        cpu.append(cpu_sample(roles))
    t0 = time.perf_counter()
    with open(path, 'rb', buffering=0) as f:
        while limit is None or total < limit:
            k = f.readinto(mv if limit is None or limit - total >= CHUNK else mv[:limit - total])
            if not k:
                break
            total += k
        s = time.perf_counter() - t0
        if cpu is not None:
            cpu.append(cpu_sample(roles))
        again = hash_from_start(f, buf, total) if rehash else None
    return total, s, again


def load_sums(path):
    sums = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            if line:
                sums[line[66:]] = line[:64]
    return sums


def cmd_seq(args):
    """seq SUMS ROOT REL [after|inline] -> bytes seconds MBps ok [fs_cpu_s backend_cpu_s fs_jit_cpu_s backend_jit_cpu_s]. after (default): plain
    timed read (read_plain), sha256 of a second pass through the same open file after the clock stopped; inline:
    sha256 on a second thread while timing (read_hash). The CPU fields (with MB_CPU_PIDS) cover the timed read only."""
    sums, root, rel = load_sums(args[0]), args[1], args[2]
    mode = args[3] if len(args) > 3 else 'after'
    path = os.path.join(root, rel)
    cpu = []
    if mode == 'after':
        n, s, (n2, d) = read_plain(path, rehash=True, cpu=cpu)
        ok = n2 == n and d == sums.get(rel)
    elif mode == 'inline':
        roles = cpu_pids()
        cpu.append(cpu_sample(roles))
        n, s, d = read_hash(path)
        cpu.append(cpu_sample(roles))
        ok = d == sums.get(rel)
    else:
        raise SystemExit(f"seq: verify mode {mode!r}: after or inline")
    print(n, f"{s:.6f}", f"{n / s / 1e6:.1f}", 1 if ok else 0, *cpu_fields(*cpu))


def cmd_hit(args):
    """hit ROOT REL BYTES -> bytes seconds MBps [fs_cpu_s backend_cpu_s fs_jit_cpu_s backend_jit_cpu_s]: timed plain read (read_plain) of the first
    BYTES of the file (no check); the CPU fields (with MB_CPU_PIDS) cover the timed read only"""
    root, rel, limit = args[0], args[1], int(args[2])
    cpu = []
    n, s, _ = read_plain(os.path.join(root, rel), limit, cpu=cpu)
    print(n, f"{s:.6f}", f"{n / s / 1e6:.1f}", *cpu_fields(*cpu))


def cmd_cpu_run(args):
    """cpu-run CMD ARGS... -> CMD's stdout, then [fs_cpu_s backend_cpu_s fs_jit_cpu_s backend_jit_cpu_s] (with MB_CPU_PIDS) over CMD's run only;
    exits with CMD's status"""
    roles = cpu_pids()
    cpu = [cpu_sample(roles)]
    res = subprocess.run(args, stdout=subprocess.PIPE, text=True)
    cpu.append(cpu_sample(roles))
    print(res.stdout.strip(), *cpu_fields(*cpu))
    sys.exit(res.returncode)


def cmd_hashprefix(args):
    """hashprefix PATH BYTES -> hex sha256 of the file's first BYTES (fewer if the file is shorter)"""
    with open(args[0], 'rb', buffering=0) as f:
        print(hash_from_start(f, bytearray(CHUNK), int(args[1]))[1])


def cmd_stdin_sha(args):
    """stdin-sha SUMS REL -> ok (hash of stdin against the manifest)"""
    sums, rel = load_sums(args[0]), args[1]
    h = hashlib.sha256()
    while True:
        b = sys.stdin.buffer.read(CHUNK)
        if not b:
            break
        h.update(b)
    print(1 if h.hexdigest() == sums.get(rel) else 0)


def cmd_par(args):
    """par SUMS ROOT REL... -> files bytes seconds MBps ok_count (one thread per file, read + hash inline)"""
    sums, root, rels = load_sums(args[0]), args[1], args[2:]
    res = [None] * len(rels)

    def one(i):
        try:
            n, _, d = read_hash(os.path.join(root, rels[i]), pipelined=False)
            res[i] = (n, d == sums.get(rels[i]))
        except OSError as e:
            print(f"par: {rels[i]}: {e}", file=sys.stderr)
            res[i] = (0, False)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(rels))]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = time.perf_counter() - t0
    total = sum(r[0] for r in res)
    print(len(rels), total, f"{s:.6f}", f"{total / s / 1e6:.1f}", sum(1 for r in res if r[1]))


def cmd_warm(args):
    """warm FILE READERS -> bytes seconds [fs_cpu_s backend_cpu_s fs_jit_cpu_s backend_jit_cpu_s]: reads FILE in
    READERS parallel slices with 128 KiB reads (no check); the CPU fields (with MB_CPU_PIDS) cover the reads"""
    path, k = args[0], int(args[1])
    roles = cpu_pids()
    cpu = [cpu_sample(roles)]
    size = os.path.getsize(path)
    step = (size + k - 1) // k
    total = [0] * k

    def one(i):
        fd = os.open(path, os.O_RDONLY)
        try:
            pos, end = i * step, min(size, (i + 1) * step)
            while pos < end:
                b = os.pread(fd, min(131072, end - pos), pos)
                if not b:
                    break
                pos += len(b)
                total[i] += len(b)
        finally:
            os.close(fd)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(k)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = time.perf_counter() - t0
    cpu.append(cpu_sample(roles))
    print(sum(total), f"{s:.3f}", *cpu_fields(*cpu))


def cmd_jit_quiet(args):
    """jit-quiet LIMIT FS BACKEND FS_JIT BACKEND_JIT -> 1 if the JIT compiler threads of the file system and the
    backend used at most LIMIT (a fraction) of their CPU seconds ('-': none), else 0"""
    limit = float(args[0])
    v = [0.0 if a in ('-', '') else float(a) for a in args[1:5]]
    print(1 if v[2] + v[3] <= limit * (v[0] + v[1]) else 0)


def load_expect(path):
    e = {}
    with open(path) as f:
        for line in f:
            rel, size, fb, hs, ts = line.rstrip('\n').split('\t')
            e[rel] = (int(size), fb, hs, ts)
    return e


def cmd_ttfb(args):
    """ttfb EXPECT ROOT REL... -> files median_ms p90_ms max_ms ok_count (open + read 1 byte, per file)"""
    exp, root, rels = load_expect(args[0]), args[1], args[2:]
    lat, ok = [], 0
    for rel in rels:
        t0 = time.perf_counter()
        fd = os.open(os.path.join(root, rel), os.O_RDONLY)
        try:
            b = os.read(fd, 1)
            lat.append(time.perf_counter() - t0)
        finally:
            os.close(fd)
        ok += 1 if b.hex() == exp[rel][1] else 0
    lat.sort()
    p90 = lat[min(len(lat) - 1, int(0.9 * len(lat)))]
    print(len(rels), f"{statistics.median(lat) * 1e3:.3f}", f"{p90 * 1e3:.3f}", f"{lat[-1] * 1e3:.3f}", ok)


def cmd_scan(args):
    """scan EXPECT ROOT CHUNK REL... -> files seconds files_per_s ok_count (head + tail chunk of each file, in order)"""
    exp, root, chunk, rels = load_expect(args[0]), args[1], int(args[2]), args[3:]
    got = []
    t0 = time.perf_counter()
    for rel in rels:
        fd = os.open(os.path.join(root, rel), os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            head = os.pread(fd, chunk, 0)
            tail = os.pread(fd, chunk, max(0, size - chunk))
        finally:
            os.close(fd)
        got.append((rel, size, head, tail))
    s = time.perf_counter() - t0
    ok = 0
    for rel, size, head, tail in got:
        e = exp[rel]
        ok += 1 if (size == e[0] and hashlib.sha256(head).hexdigest() == e[2]
                    and hashlib.sha256(tail).hexdigest() == e[3]) else 0
    print(len(rels), f"{s:.6f}", f"{len(rels) / s:.1f}", ok)


def cmd_fio(args):
    """fio JSON -> iops p50_us p99_us mean_us reads"""
    with open(args[0]) as f:
        txt = f.read()
    j = json.loads(txt[txt.index('{'):])
    r = j['jobs'][0]['read']
    clat = r.get('clat_ns', r.get('lat_ns'))
    pct = clat.get('percentile', {})
    p50 = pct.get('50.000000', 0) / 1e3
    p99 = pct.get('99.000000', 0) / 1e3
    print(f"{r['iops']:.1f}", f"{p50:.1f}", f"{p99:.1f}", f"{clat['mean'] / 1e3:.1f}", r['total_ios'])


def cmd_mirror(args):
    """mirror SIM_URL DATA WWW: copies the sim's JSON (/, /torrents, details by id and hash, stats/v1) into WWW/json
    and builds WWW/stream/<info_hash>/<file_idx> symlinks to the files the sim serves. Prints info_hash<TAB>idx<TAB>path."""
    base, data, www = args[0].rstrip('/'), args[1], args[2]
    os.makedirs(os.path.join(www, 'json'), exist_ok=True)

    def get(path):
        with urllib.request.urlopen(base + path, timeout=10) as r:
            return r.read()

    def put(name, body):
        with open(os.path.join(www, 'json', name), 'wb') as f:
            f.write(body)

    put('root.json', get('/'))
    lst = get('/torrents')
    put('list.json', lst)
    for t in json.loads(lst)['torrents']:
        h = t['info_hash']
        det = get('/torrents/' + h)
        put(f'details-{h}.json', det)
        put(f"details-{t['id']}.json", get(f"/torrents/{t['id']}"))
        put(f'stats-{h}.json', get(f'/torrents/{h}/stats/v1'))
        d = json.loads(det)
        sdir = os.path.join(www, 'stream', h)
        os.makedirs(sdir, exist_ok=True)
        for idx, f in enumerate(d['files']):
            target = os.path.join(d['output_folder'], *f['components'])
            if not os.path.realpath(target).startswith(os.path.realpath(data) + os.sep):
                raise SystemExit(f"mirror: {target} is outside {data}")
            link = os.path.join(sdir, str(idx))
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(target, link)
            print(h, idx, os.path.relpath(target, data), sep='\t')


# ------------------------------------------------------------------------------------------------ report

SEQ_TITLES = {
    'after': 'Cold sequential read of big.bin (1 MiB readinto, no hash while timed; sha256 of a 2nd pass after)',
    'inline': 'Cold sequential read of big.bin (1 MiB reads, sha256 on a second thread)',
}
WORKLOADS = [
    # key, title ({seq}: SEQ_TITLES[SEQ_VERIFY], {hit}: HIT_SIZE), metric column, unit, higher is better,
    # extra columns to show (median)
    ('seq', '{seq}', 'MBps', 'MB/s', True, ['seconds']),
    ('hit', "Cache-hit read: first {hit} of big.bin re-read after drop_caches (the filesystem's own cache, not the "
     "page cache)", 'MBps', 'MB/s', True, ['seconds']),
    ('fio', '4 KiB random reads of big.bin (fio psync, direct=0, one pass or --runtime)', 'iops', 'IOPS', True,
     ['p50_us', 'p99_us']),
    ('par', 'Parallel readers: one thread per par/ file, each read whole + sha256', 'MBps', 'MB/s aggregate', True,
     ['seconds']),
    ('ttfb', 'Time to first byte: open + read 1 byte, per file, median over the files of a run', 'median_ms', 'ms',
     False, ['p90_ms']),
    ('scan', 'Media scan: open each media/ file, read 64 KiB at head and at tail', 'seconds', 's (wall)', False,
     ['files_per_s']),
]
CPU_WORKLOADS = ('seq', 'hit')   # their CSVs have fs_cpu_s, backend_cpu_s (and since 2026-12-07 the *_jit_cpu_s parts)
CPU_COLUMNS = ('fs_cpu_s', 'backend_cpu_s', 'fs_jit_cpu_s', 'backend_jit_cpu_s')   # results.md: median per GiB read
FUSE_CEILING = 'memoryfs'
C_CEILING = 'bindfs'


def read_csv(path):
    import csv
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def fmt(v):
    if v is None:
        return '—'
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def human_bytes(v):
    if v is None:
        return '—'
    for unit, div in (('GiB', 1 << 30), ('MiB', 1 << 20), ('KiB', 1 << 10)):
        if v >= div:
            return f"{v / div:.1f} {unit}"
    return f"{v:.0f} B"


PASSES_NOTE = 'timed passes MB/s '


def run_number(row):
    try:
        return int(row.get('run', 0))
    except ValueError:
        return 0


def merge_notes(notes):
    """One notes cell from every run's note (in run order): each distinct part once; hit's per-run 'timed passes'
    figures gathered into one part instead of repeating every run's whole note."""
    parts, passes = [], []
    for note in notes:
        for part in filter(None, (note or '').split('; ')):
            if part.startswith(PASSES_NOTE):
                passes.append(part[len(PASSES_NOTE):].split(' ')[0])
            elif part not in parts:
                parts.append(part)
    if passes:
        parts.append(PASSES_NOTE + 'of each run: ' + ', '.join(passes) + ' (row: the last pass of each)')
    return parts


def cmd_report(args):
    """report OUTDIR: writes OUTDIR/results.md (appending OUTDIR/header.md first) and one PNG per workload.
    The titles take SEQ_VERIFY and HIT_SIZE from the environment (the script's settings)."""
    out = args[0]
    seq_verify = os.environ.get('SEQ_VERIFY', 'after')
    subst = {'seq': SEQ_TITLES.get(seq_verify, f'Cold sequential read of big.bin (SEQ_VERIFY={seq_verify})'),
             'hit': os.environ.get('HIT_SIZE', 'HIT_SIZE')}
    lines = []
    with open(os.path.join(out, 'header.md')) as f:
        lines.append(f.read().rstrip('\n'))
    for key, title, col, unit, higher, extras in WORKLOADS:
        title = title.format(**subst)
        rows = read_csv(os.path.join(out, f'{key}.csv'))
        if not rows:
            continue
        systems = []
        for r in rows:
            if r['system'] not in systems:
                systems.append(r['system'])
        stats = {}
        for s in systems:
            rs = [r for r in rows if r['system'] == s]
            good = [r for r in rs if r['status'] == 'ok']
            wrong = [r for r in rs if r['status'] == 'WRONG']
            err = [r for r in rs if r['status'] not in ('ok', 'WRONG', 'n/a')]
            na = [r for r in rs if r['status'] == 'n/a']
            vals = [float(r[col]) for r in good]
            st = {'n': len(rs), 'good': len(good), 'wrong': len(wrong), 'err': len(err), 'na': len(na),
                  'med': statistics.median(vals) if vals else None,
                  'min': min(vals) if vals else None, 'max': max(vals) if vals else None,
                  'extras': {e: statistics.median([float(r[e]) for r in good]) if good else None for e in extras},
                  'backend': None, 'notes': merge_notes([r.get('note', '') for r in sorted(rs, key=run_number)])}
            bb = [float(r['backend_bytes']) for r in good if r.get('backend_bytes') not in (None, '', '-')]
            if bb:
                st['backend'] = statistics.median(bb)
            for c in CPU_COLUMNS:   # CPU seconds per GiB read, median over the verified runs (older CSVs lack the JIT ones)
                per = [float(r[c]) / (float(r['bytes']) / (1 << 30)) for r in good
                       if r.get(c) not in (None, '', '-') and float(r.get('bytes') or 0) > 0]
                st[c] = statistics.median(per) if per else None
            stats[s] = st
        ceil = stats.get(FUSE_CEILING, {}).get('med')
        cceil = stats.get(C_CEILING, {}).get('med')
        lines.append('')
        lines.append(f"## {key}: {title}")
        lines.append('')
        lines.append(f"Metric: **{unit}** ({'higher' if higher else 'lower'} is better). Ratios are "
                     f"system ÷ ceiling median ({'>1 beats the ceiling' if higher else '>1 is slower than the ceiling'}).")
        lines.append('')
        hdr = ['system', f'median {unit}', 'min–max', f'× {FUSE_CEILING}', f'× {C_CEILING}']
        if key == 'seq':
            hdr.append('× curl of its backend')
        hdr += [f'median {e}' for e in extras]
        if key in CPU_WORKLOADS:
            hdr += ['fs CPU-s/GiB (median)', 'backend CPU-s/GiB (median)', 'of which JIT: fs / backend']
        hdr += ['backend bytes (median)', 'verified runs', 'notes']
        lines.append('| ' + ' | '.join(hdr) + ' |')
        lines.append('|' + '---|' * len(hdr))
        plot = []
        for s in systems:
            st = stats[s]
            med = st['med']
            row = [s, fmt(med), f"{fmt(st['min'])}–{fmt(st['max'])}" if med is not None else '—',
                   fmt(med / ceil) if (med is not None and ceil) else '—',
                   fmt(med / cceil) if (med is not None and cceil) else '—']
            if key == 'seq':
                backend = None if s.startswith('curl-') else 'curl-sim' if s.endswith('-sim') else ('curl-nginx' if s in ('fuse-engine-nginx', 'rclone', 'httpfs2') else None)
                b = stats.get(backend, {}).get('med') if backend else None
                row.append(fmt(med / b) if (med is not None and b) else '—')
            row += [fmt(st['extras'][e]) for e in extras]
            if key in CPU_WORKLOADS:
                row += [fmt(st['fs_cpu_s']), fmt(st['backend_cpu_s']),
                        f"{fmt(st['fs_jit_cpu_s'])} / {fmt(st['backend_jit_cpu_s'])}"]
            row.append(human_bytes(st['backend']))
            if st['na'] == st['n']:
                ver = 'n/a'
            else:
                ver = f"{st['good']}/{st['n'] - st['na']}"
                if st['wrong']:
                    ver += f" **FAIL: {st['wrong']} run(s) returned WRONG BYTES**"
                if st['err']:
                    ver += f" **ERROR in {st['err']} run(s)**"
            row.append(ver)
            row.append('; '.join(st['notes']))
            lines.append('| ' + ' | '.join(row) + ' |')
            if med is not None:
                plot.append((s, med, st['min'], st['max']))
        if plot:
            dat = os.path.join(out, f'{key}.dat')
            with open(dat, 'w') as f:
                for s, m, lo, hi in plot:
                    f.write(f'"{s}" {m} {lo} {hi}\n')
            png = os.path.join(out, f'{key}.png')
            gp = f"""set terminal pngcairo size 1000,560 noenhanced
set output '{png}'
set title "{key}: {title}" noenhanced
set ylabel "{unit} ({'higher' if higher else 'lower'} is better)"
set style fill solid 0.6 border -1
set boxwidth 0.6
set yrange [0:*]
set xrange [-0.6:{len(plot) - 0.4}]
set xtics rotate by -25 nomirror
set grid ytics
plot '{dat}' using 0:2:xtic(1) with boxes lc rgb '#4682b4' notitle, \\
     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0 notitle
"""
            with open(os.path.join(out, f'{key}.gp'), 'w') as f:
                f.write(gp)
            r = subprocess.run(['gnuplot', os.path.join(out, f'{key}.gp')], capture_output=True, text=True)
            if r.returncode == 0:
                lines.append('')
                lines.append(f'![{key}]({key}.png)')
            else:
                lines.append('')
                lines.append(f'(gnuplot failed: {r.stderr.strip()[:200]})')
    footer = os.path.join(out, 'footer.md')
    if os.path.exists(footer):
        with open(footer) as f:
            lines.append('')
            lines.append(f.read().rstrip('\n'))
    with open(os.path.join(out, 'results.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def main():
    cmds = {'seq': cmd_seq, 'hit': cmd_hit, 'hashprefix': cmd_hashprefix, 'stdin-sha': cmd_stdin_sha, 'par': cmd_par,
            'ttfb': cmd_ttfb, 'scan': cmd_scan, 'warm': cmd_warm, 'fio': cmd_fio, 'mirror': cmd_mirror,
            'report': cmd_report, 'cpu-run': cmd_cpu_run,
         'jit-quiet': cmd_jit_quiet}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print('usage: mbtool.py ' + '|'.join(cmds) + ' ARGS...', file=sys.stderr)
        sys.exit(2)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == '__main__':
    main()
