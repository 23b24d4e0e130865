"""Wall time, training throughput and peak memory of `bootwm demo` (quick, default, the domain-shift preset).

Peak memory is the largest *summed* resident set of the demo's whole process tree (the demo trains in
worker processes), sampled every 0.2 s from /proc. Tokens/s is every training token of every run (IDM
and FDM arms, all seeds) over the demo's whole wall time, so it includes data writing, evaluation,
annotation and process start-up. Usage (from the repository root, after `bash run.sh test` or
`bash run.sh demo` has set up .venv):

    .venv/bin/python bench/demo.py --quick                 # the CI variant (target: under 2 min on 2 cores)
    .venv/bin/python bench/demo.py                         # the powered default (target: under 10 min)
    .venv/bin/python bench/demo.py --preset paper          # domain shift (target: under 30 min)
    .venv/bin/python bench/demo.py --out docs/demo         # the default, kept as the example report
    .venv/bin/python bench/demo.py --first-seed 5          # another seed set (--seeds N: another number of seeds;
                                                           # --seeds-i N: claim (i) on N seeds per seed)

Runs on a shared machine are slower than on a quiet one: the load average before and after is printed.
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

def arg(name, default=None):
    return sys.argv[sys.argv.index(name)+1] if name in sys.argv else default

def main():
    quick, preset, first, seeds, seeds_i = '--quick' in sys.argv, arg('--preset', 'default'), arg('--first-seed'), arg('--seeds'), arg('--seeds-i')
    out = Path(arg('--out') or Path(tempfile.mkdtemp())/'demo')
    cmd = [str(Path(sys.executable).parent/'bootwm'), 'demo', '--out', str(out), '--quiet', '--preset', preset]
    cmd += (['--quick'] if quick else []) + (['--first-seed', first] if first else []) + (['--seeds', seeds] if seeds else []) + (['--seeds-i', seeds_i] if seeds_i else [])
    load0, t0, peak = os.getloadavg(), time.time(), 0
    p = subprocess.Popen(cmd)
    while p.poll() is None: peak = max(peak, tree_rss(p.pid)); time.sleep(0.2)
    wall = time.time() - t0
    if p.returncode: sys.exit(p.returncode)
    res = json.loads((out/'results.json').read_text())
    print(json.dumps(dict(variant='quick' if quick else preset, seeds=res['config']['seeds'], first_seed=res['config']['first_seed'],
                          wall_s=round(wall, 1), train_tokens_M=round(res['tokens']/1e6, 2), tokens_per_s=round(res['tokens']/wall),
                          peak_rss_mib=round(peak/2**20), cpus=os.cpu_count(), cpu=res['env']['cpu'],
                          load_before=[round(x, 1) for x in load0], load_after=[round(x, 1) for x in os.getloadavg()],
                          claims={k: f"{c['verdict']} {c['diff']:+.3f} [{c['lo']:+.3f}, {c['hi']:+.3f}]" for k, c in res['claims'].items()}),
                     indent=1))

if __name__ == '__main__': main()
