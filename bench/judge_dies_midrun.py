"""A judge endpoint that dies mid-run (here: down from the start, with the preflight check skipped): how long
`judge_items` keeps trying with the default retries before it stops. Run from the repository root with
PYTHONPATH=. so this checkout's bootwm is imported."""
import sys, time, numpy as np
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tests'))
from judge_server import LocalJudgeServer   # the tests' loopback endpoint
from bootwm.judge import Judge, JudgeError
from bootwm.judge_runs import JudgeItem, judge_items
from bootwm.toyworld import random_scene, render
import tempfile
d = Path(tempfile.mkdtemp())
for i in range(2): render(random_scene(np.random.default_rng(i))).save(d/f'{i}.png')
srv = LocalJudgeServer().start(); url = srv.url; srv.stop()
j = Judge(base_url=url, cache_dir=None)
items = [JudgeItem(f'i{n}', d/'0.png', d/'1.png', f'act {n}') for n in range(400)]
(d/'v.jsonl').unlink(missing_ok=True)
t0 = time.time()
try: judge_items(j, items, d/'v.jsonl', progress=False)
except JudgeError as e: print(f'stopped after {time.time()-t0:.1f} s: {str(e)[:100]}; requests {j.tally.requests}')
