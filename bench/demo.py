"""Wall time and peak memory of `bootwm demo` (quick and full).

Peak memory is the largest *summed* resident set of the demo's whole process tree (the demo trains in
worker processes), sampled every 0.2 s from /proc. Usage (from the repository root, after `bash run.sh test`
or `bash run.sh demo` has set up .venv):

    .venv/bin/python bench/demo.py --quick          # the CI variant
    .venv/bin/python bench/demo.py                  # the full demo
    .venv/bin/python bench/demo.py --out docs/demo  # the full demo, kept as the example report
"""
import os, subprocess, sys, tempfile, time, json
from pathlib import Path

def tree_rss(pid) -> int:
    "Summed RSS in bytes of `pid` and all its descendants"
    kids = {}
    for p in Path('/proc').iterdir():
        if p.name.isdigit():
            try: ppid = int((p/'stat').read_text().rsplit(')', 1)[1].split()[1]); kids.setdefault(ppid, []).append(int(p.name))
            except (OSError, IndexError, ValueError): pass
    total, todo = 0, [pid]
    while todo:
        q = todo.pop()
        try: total += int((Path('/proc')/str(q)/'statm').read_text().split()[1]) * os.sysconf('SC_PAGE_SIZE')
        except OSError: pass
        todo += kids.get(q, [])
    return total

def main():
    quick = '--quick' in sys.argv
    out = Path(sys.argv[sys.argv.index('--out')+1]) if '--out' in sys.argv else Path(tempfile.mkdtemp())/'demo'
    cmd = [str(Path(sys.executable).parent/'bootwm'), 'demo', '--out', str(out), '--quiet'] + (['--quick'] if quick else [])
    t0, peak = time.time(), 0
    p = subprocess.Popen(cmd)
    while p.poll() is None: peak = max(peak, tree_rss(p.pid)); time.sleep(0.2)
    wall = time.time() - t0
    if p.returncode: sys.exit(p.returncode)
    res = json.loads((out/'results.json').read_text())
    print(json.dumps(dict(variant='quick' if quick else 'full', wall_s=round(wall, 1), peak_rss_mib=round(peak/2**20),
                          cpus=os.cpu_count(), claims={k: c['reproduced'] for k, c in res['claims'].items()}), indent=1))

if __name__ == '__main__': main()
