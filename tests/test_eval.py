"""`bootwm eval` as a user runs it, on an AURORA-Bench-shaped benchmark (toy-world images, positional ids) with a
loopback judge: an edited benchmark never reuses another item's work, broken items can be skipped, a dead or
wrong judge stops the run before any system runs, the report's files parse strictly, and the IDM mode."""
import json, os, subprocess, sys
from html.parser import HTMLParser
from pathlib import Path
import pytest
from bootwm.core import read_manifest
from bootwm.judge_runs import read_verdicts
from bootwm.rubric import _action_of
from judge_server import LocalJudgeServer
from bootwm.toyworld import write_dataset

BOOTWM = str(Path(sys.executable).parent/'bootwm')
ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, 'PYTHONPATH': str(ROOT), 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1', 'MPLBACKEND': 'Agg'}

def bootwm(*args):
    "The console script in a fresh process, as a user runs it"
    return subprocess.run([BOOTWM, *map(str, args)], capture_output=True, text=True, env=ENV)

@pytest.fixture
def run(capsys):
    "`bootwm ...` in this process (no start-up cost): `(exit status, stdout, stderr)`"
    from bootwm.cli import main
    def _run(*args):
        rc = main(['bootwm', *map(str, args)]); o = capsys.readouterr()
        return rc, o.out, o.err
    return _run

@pytest.fixture(scope='module')
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp('w'); write_dataset(d, n_labelled=1, n_videos=1, video_len=1, n_test=8)
    return d, read_manifest(d/'test.jsonl')

def write_bench(d, rows, drop=()):
    items = [dict(input=r.src, output=r.tgt, instruction=r.action, task='something' if i % 2 else 'kubric')
             for i, r in enumerate(rows) if i not in drop]
    (d/'test.json').write_text(json.dumps(items)); return d/'test.json', items

def echo(prompt, images):
    "A judge that names the instruction it was asked about, so a verdict shows which item it was made for"
    return dict(editing_success=0 if images[0] == images[1] else 7, minimal_editing=9, reason=_action_of(prompt))

def judge_args(srv, tmp): return ['--judge-model', 'local-judge', '--judge-base-url', srv.url, '--judge-cache', tmp/'jc']

def test_edited_benchmark_never_reuses_another_items_work(world, tmp_path):
    d, rows = world
    bench, _ = write_bench(d, rows)
    with LocalJudgeServer(answer=echo) as srv:
        r = bootwm('eval', bench, tmp_path/'ev', '--quiet', *judge_args(srv, tmp_path))
        assert r.returncode == 0, r.stderr[-2000:]
        bench, items = write_bench(d, rows, drop=(1,))                 # an item taken out: later ids now name other items
        r = bootwm('eval', bench, tmp_path/'ev', '--quiet', '--overwrite', *judge_args(srv, tmp_path))
        assert r.returncode == 0, r.stderr[-2000:]
    assert 'differ from the item their prediction was made for' in r.stderr
    from bootwm.datasets import read_aurora_bench
    now = read_aurora_bench(bench)
    preds = {p['id']: p for p in map(json.loads, (tmp_path/'ev/systems/copy/preds.jsonl').read_text().splitlines())}
    verdicts = {v.id: v for v in read_verdicts(tmp_path/'ev/judge.jsonl') if v.system == 'copy'}
    for row in now:                                                     # each id's image and verdict are its own item's
        assert (tmp_path/'ev/systems/copy'/preds[row.id]['pred']).read_bytes() == (d/row.src).read_bytes()
        assert verdicts[row.id].reason == ' '.join(row.action.split())
    got = {it['id']: it for it in map(json.loads, (tmp_path/'ev/items.jsonl').read_text().splitlines())}
    assert set(got) == {r.id for r in now} and all(it['judge'] == 0 for it in got.values())

def test_predictions_of_another_bench_are_refused(world, tmp_path, run):
    d, rows = world
    bench, _ = write_bench(d, rows)
    assert run('eval', bench, tmp_path/'a', '--quiet')[0] == 0
    bench, _ = write_bench(d, rows, drop=(0,))
    rc, out, err = run('eval', bench, tmp_path/'b', '--quiet', '--preds', f"old={tmp_path/'a/systems/copy'}")
    assert rc == 2 and 'were made for another item than the one now under their id' in err

def test_broken_items_skipped_into_rejects(world, tmp_path, run):
    d, rows = world
    items = [dict(input=r.src, output=r.tgt, instruction=r.action, task='kubric') for r in rows]
    items[2]['input'] = 'images/absent.png'
    (tmp_path/'test.json').write_text(json.dumps(items))
    for p in {Path(r.src).parent for r in rows}: (tmp_path/p).symlink_to(d/p) if not (tmp_path/p).exists() else None
    rc, out, err = run('eval', tmp_path/'test.json', tmp_path/'ev', '--quiet', '--limit', 3)
    assert rc == 2 and 'absent.png' in err
    rc, out, err = run('eval', tmp_path/'test.json', tmp_path/'ev', '--quiet', '--on-error', 'skip')
    assert rc == 0, err[-2000:]
    rej = [json.loads(l) for l in (tmp_path/'ev/rejects.jsonl').read_text().splitlines()]
    assert [(x['row'], x['field'], x['value']) for x in rej] == [(2, 'input', 'images/absent.png')]
    assert '1 benchmark row(s) skipped' in (tmp_path/'ev/report.md').read_text()
    assert 'Evaluation: 7 items, 1 system\n' in (tmp_path/'ev/report.md').read_text()

@pytest.mark.parametrize('url, why', [(None, 'does not answer'), ('http://127.0.0.1:abc/v1', 'cannot be parsed'),
                                      ('http:///v1', 'no host name'), ('http://[::1/v1', 'cannot be parsed')])
def test_dead_or_wrong_judge_stops_before_any_system(world, tmp_path, url, why, run):
    d, rows = world
    if url is None: srv = LocalJudgeServer().start(); url = srv.url; srv.stop()
    rc, out, err = run('eval', d/'test.jsonl', tmp_path/'ev', '--quiet', '--judge-model', 'm', '--judge-base-url', url)
    assert rc == 2 and why in err and err.count('\n') == 1, err
    assert not (tmp_path/'ev/systems').exists()                       # before any system ran

def test_refused_key_stops_before_any_system(world, tmp_path):
    d, rows = world
    with LocalJudgeServer(key='sk-right') as srv:
        r = subprocess.run([BOOTWM, 'eval', d/'test.jsonl', tmp_path/'ev', '--quiet', *map(str, judge_args(srv, tmp_path))],
                           capture_output=True, text=True, env=ENV | {'OPENAI_API_KEY': 'sk-wrong-123'})
    assert r.returncode == 2 and 'HTTP 401' in r.stderr and 'sk-wrong-123' not in r.stderr and not (tmp_path/'ev/systems').exists()

class Strict(HTMLParser):
    "Tags must nest and close; void elements excepted"
    VOID = {'meta', 'img', 'br', 'hr', 'link', 'input'}
    def __init__(self): super().__init__(); self.stack = []
    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID: self.stack.append(tag)
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f'</{tag}> closes {self.stack[-1:]}'
        self.stack.pop()

def test_report_files_are_strict(world, tmp_path, run):
    d, rows = world
    bench, _ = write_bench(d, rows)
    script = {' '.join(rows[3].action.split()): [dict(content='about a 7')]}
    with LocalJudgeServer(answer=echo, script=script, model='judge-x') as srv:
        rc, out, err = run('eval', bench, tmp_path/'ev', '--quiet', '--judge-model', 'judge-x', '--judge-base-url', srv.url,
                           '--judge-cache', 'none')
    assert rc == 0, err[-2000:]
    assert 'the judge could not score 1 of 8 item(s) of copy' in err       # the unparseable answer is not silent
    bad = lambda c: pytest.fail(f'{c} in strict JSON')
    res = json.loads((tmp_path/'ev/results.json').read_text(), parse_constant=bad)
    assert res['judge']['model'] == 'judge-x' and len(res['judge']['prompt_sha256']) == 64
    assert res['tally']['requests'] == 9 and res['tally']['failures'] == 1     # the check, then 8 items
    assert (res['table']['something']['copy']['n'], res['table']['something']['copy']['scored'], res['table']['something']['copy']['failed']) == (4, 3, 1)
    for l in (tmp_path/'ev/items.jsonl').read_text().splitlines(): json.loads(l, parse_constant=bad)
    md = (tmp_path/'ev/report.md').read_text()
    assert '| system | n | scored | failed | judge: judge-x |' in md and 'GPT-4o' not in md and '**' not in md
    p = Strict(); p.feed((tmp_path/'ev/report.html').read_text()); p.close()
    assert p.stack == []

def test_world_model_sampling_is_recorded(world, tmp_path, run):
    from bootwm.vlm import tiny_vlm
    d, rows = world
    tiny_vlm().save_pretrained(tmp_path/'fdm')
    rc, out, err = run('eval', d/'test.jsonl', tmp_path/'ev', '--quiet', '--fdm', tmp_path/'fdm', '--limit', 2, '--top-k', 5)
    assert rc == 0, err[-2000:]
    cfg = json.loads((tmp_path/'ev/systems/world_model/system.json').read_text())['settings']
    assert (cfg['temperature'], cfg['top_k'], cfg['text_scale']) == (1.0, 5, None)
    assert json.loads((tmp_path/'ev/results.json').read_text())['systems']['world_model']['settings']['top_k'] == 5
    assert 'System world_model (world_model): ' in (tmp_path/'ev/report.md').read_text() and 'top_k=5' in (tmp_path/'ev/report.md').read_text()

def test_idm_mode(world, tmp_path, run):
    from bootwm.vlm import tiny_vlm
    d, rows = world
    tiny_vlm().save_pretrained(tmp_path/'idm')
    rc, out, err = run('eval', d/'test.jsonl', tmp_path/'ev', '--quiet', '--task', 'idm', '--idm', tmp_path/'idm')
    assert rc == 0, err[-2000:]
    t = json.loads((tmp_path/'ev/results.json').read_text())['table']
    assert set(t['overall']['idm']) == {'n', 'bleu', 'rouge1', 'rougeL'} and 0 <= t['overall']['idm']['bleu'] <= 1
    assert run('eval', d/'test.jsonl', tmp_path/'ev2', '--task', 'idm')[0] == 2

BENCH = ROOT.parent/'shared'/'data'/'aurora-bench-sample'

@pytest.mark.skipif(not BENCH.exists(), reason='AURORA-Bench sample not present')
def test_real_aurora_bench_with_an_absent_image(tmp_path, run):
    items = json.loads((BENCH/'test.json').read_text())
    items.insert(3, dict(items[3], input='data/magicbrush/images/gone/gone-input.png'))    # as public files have
    (tmp_path/'test.json').write_text(json.dumps(items)); (tmp_path/'data').symlink_to(BENCH/'data')
    with LocalJudgeServer(answer=echo) as srv:
        rc, out, err = run('eval', tmp_path/'test.json', tmp_path/'ev', '--quiet', '--on-error', 'skip', '--limit', 12,
                           *judge_args(srv, tmp_path))
    assert rc == 0, err[-2000:]
    rej = [json.loads(l) for l in (tmp_path/'ev/rejects.jsonl').read_text().splitlines()]
    assert [(x['row'], x['field']) for x in rej] == [(3, 'input')]
    res = json.loads((tmp_path/'ev/results.json').read_text())
    c = res['table']['overall']['copy']
    assert (c['n'], c['scored'], c['failed']) == (12, 12, 0)

def test_annotate_sampling_options(world, tmp_path, run):
    import torch
    from bootwm.vlm import tiny_vlm
    from bootwm.bootstrap import annotate_batch
    d, rows = world
    idm = tiny_vlm(seed=5)
    greedy = [r.action for r in annotate_batch(idm, rows, d)]
    assert greedy == [r.action for r in annotate_batch(idm, rows, d)]
    hot = lambda s: [r.action for r in annotate_batch(idm, rows, d, temperature=3.0, generator=torch.Generator().manual_seed(s))]
    assert hot(0) == hot(0) and hot(0) != hot(1) and hot(0) != greedy
    idm.save_pretrained(tmp_path/'idm')
    rc, out, err = run('annotate', tmp_path/'idm', d/'test.jsonl', tmp_path/'ann.jsonl', '--quiet', '--temperature', 2.0, '--top-p', 0.9)
    assert rc == 0 and 'temperature 2.0, top-p 0.9' in out, err
    assert 'Loading weights' not in err, err                                 # --quiet: transformers' own bars too
    from transformers.utils import logging as tlog
    assert tlog.is_progress_bar_enabled()                                    # and the switch is put back after
