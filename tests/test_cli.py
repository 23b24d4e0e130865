"`bootwm demo --quick` end to end, as CI and a user run it: results.json holds the four claims, each with an interval and a verdict."
import json, os, subprocess, sys
from pathlib import Path

BOOTWM = str(Path(sys.executable).parent/'bootwm')
ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, 'PYTHONPATH': str(ROOT)}      # the console script imports this checkout's bootwm
VERDICTS = {'reproduced', 'contradicted', 'inconclusive', 'not judged'}

def test_demo_quick(tmp_path):
    out = tmp_path/'demo'
    r = subprocess.run([BOOTWM, 'demo', '--quick', '--quiet', '--out', str(out)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((out/'results.json').read_text())
    c = res['claims']
    assert set(c) == {'i', 'ii', 'iii', 'iv'}
    for k in c:
        assert c[k]['verdict'] in VERDICTS and c[k]['lo'] - 1e-9 <= c[k]['diff'] <= c[k]['hi'] + 1e-9, (k, c[k])
        assert len(c[k]['per_seed']) == (3 * 3 if k == 'i' else 3)      # three seeds; (i) also on two extra seeds per seed
        assert f'claim ({k}): {c[k]["verdict"]}' in r.stdout
    assert {'curve', 'step', 'idm', 'fdm'} <= set(c['i']) and c['i']['seeds'] == 9 and c['i']['curve'][-1]['seeds'] == 3
    assert res['runs']['s100002/probe']['idm']['step'] == c['i']['step']  # the extra seeds stop at (i)'s check ...
    import torch
    from bootwm.demo import DemoConfig, run_probe, PLAIN
    threads = torch.get_num_threads(); torch.set_num_threads(1)          # as in the demo's workers: the same sums
    try: pr = run_probe(DemoConfig(**res['config']), 0, out/'data'/'s0', tmp_path/'probe')   # ... and are what a full run has there
    finally: torch.set_num_threads(threads)
    assert c['i']['step'] < c['i']['total_steps']
    assert pr['idm']['items'] == res['runs']['s0/idm']['same_budget']['preference']['items'][0]
    assert pr['fdm']['items'] == res['runs'][f's0/{PLAIN}']['preference']['items'][0]
    assert {'control', 'recovered', 'kept_label_accuracy', 'compute_matched'} <= set(c['ii'])
    assert res['copy']['score'] == 0                                     # Copy scores 0
    assert set(res['arms']) == {'fdm-labelled', 'fdm-unweighted', 'fdm-raw', 'fdm-idm', 'fdm-oracle'}
    assert res['arm_seeds']['fdm-raw'] == [0, 1] and 's2/fdm-raw' not in res['runs'] and 's2/fdm-unweighted' in res['runs']  # raw_seeds=2
    assert c['iii']['raw_es']['seeds'] == 2 and len(c['iii']['raw_es']['per_seed']) == 2 and len(c['iii']['per_seed']) == 3
    assert sorted(res['best_of_k']['fdm-labelled']['random'], key=int)[-1] in ('4', 4)
    assert res['env']['torch'] and res['config']['seeds'] == 3
    # every FDM arm trains the same number of epochs over its own data: the larger arms take more steps
    assert res['runs']['s0/fdm-idm']['steps'] > res['runs']['s0/fdm-labelled']['steps']
    for k in ('i', 'ii', 'iii', 'iv'): assert f'({k})' in (out/'report.md').read_text()
    assert '**A reduced run** (seeds 3 < 5' in (out/'report.md').read_text()   # quick: its verdicts are a smoke test
    assert (out/'gallery.png').stat().st_size > 1000
    # a finished demo is never overwritten without being asked
    r2 = subprocess.run([BOOTWM, 'demo', '--quick', '--quiet', '--out', str(out)], capture_output=True, text=True, env=ENV)
    assert r2.returncode == 2 and 'overwrite' in r2.stderr

def test_bad_command():
    r = subprocess.run([BOOTWM, 'frobnicate'], capture_output=True, text=True, env=ENV)
    assert r.returncode == 2 and 'usage: bootwm' in r.stdout and "unknown command 'frobnicate'" in r.stderr

def test_keyframes_command(tmp_path):
    from bootwm.keyframes import toy_video
    from bootwm.core import read_manifest
    (tmp_path/'videos'/'pushing').mkdir(parents=True)
    toy_video(tmp_path/'videos'/'pushing'/'a.avi', n_frames=60, events=[10, 35, 55])
    out = tmp_path/'pairs.jsonl'
    r = subprocess.run([BOOTWM, 'keyframes', str(tmp_path/'videos'), str(out), '--frames', '3', '--min-gap', '5', '--workers', '1', '--quiet'],
                       capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = read_manifest(out)
    assert [(x.meta['src_frame'], x.meta['tgt_frame']) for x in rows] == [(10, 35), (35, 55)]
    assert all(x.cls == 'pushing' and x.action is None for x in rows)

def test_keyframes_missing_input_is_an_error(tmp_path):
    for src in (tmp_path/'missing.mp4', tmp_path):
        r = subprocess.run([BOOTWM, 'keyframes', str(src), str(tmp_path/'out.jsonl'), '--quiet'], capture_output=True, text=True, env=ENV)
        assert r.returncode == 2 and r.stderr.count('\n') == 1 and str(src) in r.stderr, r.stderr
