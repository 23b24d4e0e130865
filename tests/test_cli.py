"`bootwm demo --quick` end to end, as CI and a user run it: results.json holds the four experiments."
import json, os, subprocess, sys
from pathlib import Path

BOOTWM = str(Path(sys.executable).parent/'bootwm')
ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, 'PYTHONPATH': str(ROOT)}      # the console script imports this checkout's bootwm

def test_demo_quick(tmp_path):
    out = tmp_path/'demo'
    r = subprocess.run([BOOTWM, 'demo', '--quick', '--quiet', '--out', str(out)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((out/'results.json').read_text())
    c = res['claims']
    assert set(c) == {'i', 'ii', 'iii', 'iv'}
    assert {'idm_accuracy', 'fdm_exact', 'idm_curve', 'fdm_curve'} <= set(c['i'])
    assert {'fdm-labelled', 'fdm-idm', 'fdm-oracle', 'copy'} <= set(c['ii'])
    assert c['ii']['copy']['score']['mean'] == 0                      # Copy scores 0
    assert set(c['iii']['fdm-labelled']) >= {'es', 'me', 'score'}
    assert sorted(c['iv']['idm'], key=int)[-1] in ('4', 4) and set(c['iv']) >= {'idm', 'random', 'oracle'}
    assert len(c['i']['idm_accuracy']['values']) == 3                 # three seeds
    for k in ('i', 'ii', 'iii', 'iv'): assert f'({k})' in (out/'report.md').read_text()
    assert (out/'gallery_0.png').stat().st_size > 1000
    # a finished demo is never overwritten without being asked
    r2 = subprocess.run([BOOTWM, 'demo', '--quick', '--quiet', '--out', str(out)], capture_output=True, text=True, env=ENV)
    assert r2.returncode == 2 and 'overwrite' in r2.stderr

def test_bad_command():
    r = subprocess.run([BOOTWM, 'frobnicate'], capture_output=True, text=True, env=ENV)
    assert r.returncode == 2 and 'usage: bootwm' in r.stdout

def test_keyframes_command(tmp_path):
    from bootwm.keyframes import toy_video
    from bootwm.core import read_manifest
    (tmp_path/'videos'/'pushing').mkdir(parents=True)
    toy_video(tmp_path/'videos'/'pushing'/'a.avi', n_frames=60, events=[10, 35, 55])
    out = tmp_path/'pairs.jsonl'
    r = subprocess.run([BOOTWM, 'keyframes', str(tmp_path/'videos'), str(out), '--k', '3', '--min-gap', '5', '--workers', '1', '--quiet'],
                       capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = read_manifest(out)
    assert [(x.meta['src_frame'], x.meta['tgt_frame']) for x in rows] == [(10, 35), (35, 55)]
    assert all(x.cls == 'pushing' and x.action is None for x in rows)

def test_keyframes_missing_input_is_an_error(tmp_path):
    for src in (tmp_path/'missing.mp4', tmp_path):
        r = subprocess.run([BOOTWM, 'keyframes', str(src), str(tmp_path/'out.jsonl'), '--quiet'], capture_output=True, text=True, env=ENV)
        assert r.returncode == 2 and r.stderr.count('\n') == 1 and str(src) in r.stderr, r.stderr
