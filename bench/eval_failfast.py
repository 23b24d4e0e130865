"""How fast `bootwm eval` gives up on a judge it cannot use, and what a run on the AURORA-Bench sample costs.

Run from the repository root: `.venv/bin/python bench/eval_failfast.py` (add PYTHONPATH=. when the console
script belongs to another checkout). Each case is the `bootwm` console script in a fresh process, as a user
runs it, so the times include Python's start-up and imports."""
import json, os, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tests'))
from judge_server import LocalJudgeServer   # the tests' loopback endpoint
from bootwm.toyworld import write_dataset

BOOTWM = str(Path(sys.executable).parent/'bootwm')
ENV = {**os.environ, 'PYTHONPATH': str(Path(__file__).resolve().parents[1]), 'HF_HUB_OFFLINE': '1', 'MPLBACKEND': 'Agg'}
BENCH = Path(__file__).resolve().parents[2]/'shared'/'data'/'aurora-bench-sample'

def timed(*args):
    t0 = time.time(); r = subprocess.run([BOOTWM, *map(str, args)], capture_output=True, text=True, env=ENV)
    return time.time() - t0, r.returncode, r.stderr.strip().splitlines()

with tempfile.TemporaryDirectory() as d:
    d = Path(d); write_dataset(d/'w', n_labelled=1, n_videos=1, video_len=1, n_test=8)
    srv = LocalJudgeServer().start(); dead = srv.url; srv.stop()
    print(f"{'case':40s} {'wall s':>7s} rc  stderr lines")
    s, rc, err = timed('eval', d/'w/test.jsonl', d/'x', '--quiet')
    print(f"{'no judge (start-up + Copy + report)':40s} {s:7.1f} {rc:2d}  {len(err)}")
    for name, url in [('dead endpoint', dead), ('port not a number', 'http://127.0.0.1:abc/v1'),
                      ('no host', 'http:///v1'), ('unclosed IPv6 bracket', 'http://[::1/v1')]:
        s, rc, err = timed('eval', d/'w/test.jsonl', d/name.replace(' ', '_'), '--quiet', '--judge-model', 'm', '--judge-base-url', url)
        print(f'{name:40s} {s:7.1f} {rc:2d}  {len(err)}: {err[-1][:90] if err else ""}')
    with LocalJudgeServer(key='right') as srv:
        t0 = time.time()
        r = subprocess.run([BOOTWM, 'eval', d/'w/test.jsonl', d/'k', '--quiet', '--judge-model', 'm', '--judge-base-url', srv.url],
                           capture_output=True, text=True, env=ENV | {'OPENAI_API_KEY': 'wrong'})
        print(f"{'refused key (401)':40s} {time.time()-t0:7.1f} {r.returncode:2d}  {len(r.stderr.splitlines())}")
    if BENCH.exists():
        with LocalJudgeServer() as srv:
            s, rc, err = timed('eval', BENCH/'test.json', d/'aurora', '--quiet', '--judge-model', 'local-judge',
                               '--judge-base-url', srv.url, '--judge-cache', 'none')
            n = len(json.loads((BENCH/'test.json').read_text()))
            print(f"{f'AURORA-Bench sample, {n} items, Copy + judge':40s} {s:7.1f} {rc:2d}  ({len(srv.requests)} judge requests)")
