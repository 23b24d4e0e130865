"Human evaluation: ballots, the votes file (validation, resume, several annotators and processes), scores, Wilcoxon, and the widget driven headlessly."
import json, subprocess, sys, textwrap
from pathlib import Path
import numpy as np, pytest
from PIL import Image
from scipy.stats import wilcoxon
from bootwm.core import BootwmError, Transition, read_manifest
from bootwm.toyworld import write_dataset
from bootwm.baselines import run_system, pred_paths
from bootwm.human import (ALL, Vote, ballot, record_vote, read_votes, pending, scores, wilcoxon_vs, HumanEval, _png)

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent/'shared'/'data'/'aurora-bench-sample'
SYSTEMS = ['aurora', 'copy', 'wm']

def test_ballot_is_deterministic_and_balanced():
    assert ballot('x', SYSTEMS, 'ann') == ballot('x', reversed(SYSTEMS), 'ann') == ballot('x', SYSTEMS, 'ann', seed=0)
    assert len({tuple(ballot('x', SYSTEMS, 'ann', seed=s)) for s in range(30)}) == 6          # every permutation occurs
    pos = np.zeros((3, 3))
    for i in range(600): pos[[SYSTEMS.index(s) for s in ballot(f'i{i}', SYSTEMS, 'bob')], range(3)] += 1
    assert (np.abs(pos - 200) < 50).all()                                                     # each system at each letter ~1/3
    with pytest.raises(BootwmError, match='duplicate names'): ballot('x', ['a', 'a', 'b'], 'ann')
    with pytest.raises(BootwmError, match='2 to 26 systems'): ballot('x', [f's{i}' for i in range(27)], 'ann')

@pytest.mark.parametrize('kw, err', [
    (dict(best='copy', worst='copy'), "best=worst='copy': best and worst must differ"),
    (dict(best='nope', worst='copy'), "best='nope': not one of the systems shown"),
    (dict(best='copy', worst='B'), "worst='B': not one of the systems shown"),
    (dict(best='a', worst='b', order=['a', 'a', 'b']), 'expected 2 or more distinct system names'),
    (dict(best='copy', worst='wm', subset='all'), "subset='all': reserved"),
])
def test_record_vote_validates(tmp_path, kw, err):
    args = dict(best='copy', worst='wm', order=SYSTEMS) | kw
    with pytest.raises(BootwmError, match="vote of 'ann' on 't0'") as e:
        record_vote(tmp_path/'v.jsonl', 'ann', 't0', args.pop('best'), args.pop('worst'), **args)
    assert err in str(e.value) and not (tmp_path/'v.jsonl').exists()

def test_read_votes_names_file_line_field(tmp_path):
    p = tmp_path/'v.jsonl'
    good = dict(annotator='a', id='t0', best='x', worst='y', order=['x', 'y'])
    p.write_text('\n'.join(json.dumps(d) for d in [good, good | dict(id='t1', best='z'), good | dict(id='t2', extra=1),
                                                    good | dict(id=5), good]) + '\n[1]\n{"a\n')
    with pytest.raises(BootwmError, match='6 problem') as e: read_votes(p)
    msg = str(e.value)
    for s in ["v.jsonl:2: best='z': not one of", 'v.jsonl:3: extra=1: unknown field', 'v.jsonl:4: id=5: wrong type',
              "v.jsonl:5: annotator='a' id='t0': second vote (first on line 1)", 'v.jsonl:6: row is list', 'v.jsonl:7: not JSON']:
        assert s in msg, s
    with pytest.raises(BootwmError, match='votes file not found'): read_votes(tmp_path/'none.jsonl')

def test_votes_resume_after_partial_line(tmp_path):
    p = tmp_path/'sub'/'v.jsonl'
    items = [Transition(f't{i}', 'x.png', action='go') for i in range(4)]
    assert pending(p, items, 'ann') == items
    for it in items[:2]: record_vote(p, 'ann', it.id, 'copy', 'wm', ballot(it.id, SYSTEMS, 'ann'))
    with open(p, 'a') as f: f.write('{"annotator": "ann", "id": "t2", "be')              # crash mid-write
    assert pending(p, items, 'ann') == items[2:]                                            # repaired on reading
    assert pending(p, [i.id for i in items], 'bob') == ['t0', 't1', 't2', 't3']
    record_vote(p, 'ann', 't2', 'aurora', 'copy', SYSTEMS)
    assert [v.id for v in read_votes(p)] == ['t0', 't1', 't2']
    with pytest.raises(BootwmError, match="'ann' has already voted on 't1'"): record_vote(p, 'ann', 't1', 'copy', 'wm', SYSTEMS)

WRITER = textwrap.dedent('''
    import sys
    from bootwm.human import record_vote, ballot
    ann = sys.argv[2]
    for i in range(25):
        o = ballot(f't{i}', ['a', 'b', 'c'], ann); record_vote(sys.argv[1], ann, f't{i}', o[0], o[1], o, 's')
''')

def test_several_annotators_in_parallel(tmp_path):
    p = tmp_path/'v.jsonl'
    procs = [subprocess.Popen([sys.executable, '-c', WRITER, str(p), a]) for a in ('ann', 'bob', 'cat')]
    assert [q.wait(timeout=120) for q in procs] == [0, 0, 0]
    votes = read_votes(p)
    assert len(votes) == 75 and {v.annotator for v in votes} == {'ann', 'bob', 'cat'}
    assert all(v.best == v.order[0] and v.worst == v.order[1] for v in votes)

def _v(i, best, worst, order=SYSTEMS, subset='s1', ann='a'): return Vote(ann, f't{i}', best, worst, list(order), subset)

def test_scores_per_subset():
    votes = [_v(0, 'wm', 'copy'), _v(1, 'wm', 'aurora'), _v(2, 'copy', 'wm', subset='s2'), _v(3, 'aurora', 'wm', ['aurora', 'wm'], None)]
    assert scores(votes) == {
        ALL: {'aurora': (0 - 1 + 0 + 1) / 4, 'copy': (-1 + 0 + 1) / 3, 'wm': (1 + 1 - 1 - 1) / 4},
        's1': {'aurora': -0.5, 'copy': -0.5, 'wm': 1.0},
        's2': {'aurora': 0.0, 'copy': 1.0, 'wm': -1.0}}
    assert scores([]) == {}

def test_wilcoxon_matches_scipy_and_handles_degenerate_cases(tmp_path):
    rng = np.random.default_rng(1); votes = []
    for i in range(40):
        for ann in ('a', 'b'):
            o = ballot(f't{i}', SYSTEMS, ann); best = 'wm' if rng.random() < 0.7 else str(rng.choice(o))
            worst = str(rng.choice([s for s in o if s != best]))
            votes.append(_v(i, best, worst, o, 'even' if i % 2 == 0 else 'odd', ann))
    for v in votes: record_vote(tmp_path/'v.jsonl', v.annotator, v.id, v.best, v.worst, v.order, v.subset)
    r = wilcoxon_vs(tmp_path/'v.jsonl', 'copy')
    d = np.array([v.score('wm') - v.score('copy') for v in votes], float)
    t = wilcoxon(d)
    assert r['wm'] == dict(n=80, nonzero=int((d != 0).sum()), mean_diff=float(d.mean()), statistic=float(t.statistic), pvalue=float(t.pvalue))
    assert r['wm']['pvalue'] < 1e-3 and set(r) == {'aurora', 'wm'}
    assert wilcoxon_vs(votes, 'copy', subset='even')['wm']['n'] == 40
    assert wilcoxon_vs(votes, 'copy', subset=ALL) == r
    # ballots without the reference do not count; all-zero differences give p = 1; no shared ballot gives nan
    mixed = [_v(0, 'wm', 'copy', ['wm', 'copy']), _v(1, 'wm', 'aurora', ['wm', 'aurora'])] + [_v(i, 'wm', 'aurora', ['wm', 'aurora', 'x', 'y']) for i in range(2, 5)]
    r = wilcoxon_vs(mixed, 'x')
    assert r['y'] == dict(n=3, nonzero=0, mean_diff=0.0, statistic=0.0, pvalue=1.0)
    assert r['copy']['n'] == 0 and np.isnan(r['copy']['pvalue']) and np.isnan(r['copy']['mean_diff'])
    with pytest.raises(BootwmError, match="reference='nope'"): wilcoxon_vs(votes, 'nope')
    with pytest.raises(BootwmError, match="in subset 'none'"): wilcoxon_vs(votes, 'copy', subset='none')

@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    d = tmp_path_factory.mktemp('toy'); rows = read_manifest(write_dataset(d, n_labelled=2, n_videos=1, video_len=1, n_test=4)['test'])
    def flip(srcs, actions, ids): return [s.transpose(Image.Transpose.FLIP_LEFT_RIGHT) for s in srcs]
    def dark(srcs, actions, ids): return [s.point(lambda x: x // 2) for s in srcs]
    preds = {n: run_system(s, rows, d, d/n, progress=False) for n, s in [('copy', 'copy'), ('flip', flip), ('dark', dark)]}
    return d, rows, preds

def _click(he, best, worst): he.best.value, he.worst.value = best, worst; he.submit.click()

def test_widget_records_what_is_shown(toy, tmp_path):
    d, rows, preds = toy; out = tmp_path/'votes.jsonl'
    he = HumanEval(rows, preds, out, 'ann', root=d)
    assert len(he.outputs) == 3 and he.best.options == ('A', 'B', 'C')
    shown = []
    for k, r in enumerate(rows):
        assert he.item.id == r.id and he.order == ballot(r.id, ['copy', 'dark', 'flip'], 'ann')
        assert f'item {k+1} of 4' in he.progress.value and r.action in he.action.value
        assert he.src.value == _png(d/r.src, he.width)
        for im, s in zip(he.outputs, he.order): assert im.value == _png(pred_paths(preds[s])[r.id], he.width)
        assert all(s not in he.widget.children[2].children[i+1].children[0].value for i in range(3) for s in ('copy', 'dark', 'flip'))
        shown.append(list(he.order)); _click(he, 'C', 'A')
    votes = read_votes(out)
    assert [(v.id, v.best, v.worst, v.order, v.subset) for v in votes] == [(r.id, o[2], o[0], o, r.cls) for r, o in zip(rows, shown)]
    assert he.item is None and he.submit.disabled and 'all 4 items' in he.progress.value
    _click(he, 'A', 'B'); assert len(read_votes(out)) == 4                                   # nothing more to vote on
    sc = scores(out)[ALL]
    assert sc == {s: (sum(o[2] == s for o in shown) - sum(o[0] == s for o in shown)) / 4 for s in ('copy', 'dark', 'flip')}

def test_widget_refuses_incomplete_votes_and_resumes(toy, tmp_path):
    d, rows, preds = toy; out = tmp_path/'votes.jsonl'
    he = HumanEval(rows, preds, out, 'ann', root=d)
    _click(he, 'A', None); assert he.message.value == 'pick a best and a worst output'
    _click(he, 'B', 'B'); assert 'best and worst must differ' in he.message.value
    assert not out.exists() and he.item.id == rows[0].id
    _click(he, 'A', 'B'); _click(he, 'B', 'C')
    assert he.message.value == '' and he.best.value is None and he.worst.value is None
    again = HumanEval(rows, preds, out, 'ann', root=d)                                       # the annotator comes back
    assert again.item.id == rows[2].id and 'item 3 of 4' in again.progress.value
    bob = HumanEval(rows, preds, out, 'bob', root=d)
    assert bob.item.id == rows[0].id
    _click(bob, 'A', 'C')
    assert [(v.annotator, v.id) for v in read_votes(out)] == [('ann', rows[0].id), ('ann', rows[1].id), ('bob', rows[0].id)]
    _click(again, 'A', 'C'); _click(he, 'A', 'C')                                            # a stale second window
    assert "'ann' has already voted on" in he.message.value and len(read_votes(out)) == 4
    assert he.item.id == rows[3].id                                                          # ... skips to the next item
    _click(he, 'A', 'C'); assert he.item is None and again.item.id == rows[3].id

def test_widget_inputs(toy, tmp_path):
    d, rows, preds = toy
    with pytest.raises(BootwmError, match=r"system 'short' has no prediction for 2 item\(s\)"):
        HumanEval(rows, preds | {'short': {r.id: d/r.src for r in rows[:2]}}, tmp_path/'v.jsonl', 'ann', root=d)
    with pytest.raises(BootwmError, match='2 to 26 systems'): HumanEval(rows, {'copy': preds['copy']}, tmp_path/'v.jsonl', 'ann', root=d)
    with pytest.raises(BootwmError, match="annotator=''"): HumanEval(rows, preds, tmp_path/'v.jsonl', '', root=d)
    ims = {'copy': {r.id: Image.open(d/r.src) for r in rows}, 'black': {r.id: Image.new('RGB', (32, 32)) for r in rows}}
    abs_rows = [Transition(r.id, str(d/r.src), action=r.action) for r in rows]
    he = HumanEval(abs_rows, ims, tmp_path/'v.jsonl', 'ann', width=64)                      # PIL images, absolute paths
    assert Image.open(__import__('io').BytesIO(he.outputs[0].value)).size == (64, 64)
    _click(he, 'A', 'B'); assert read_votes(tmp_path/'v.jsonl')[0].subset is None

@pytest.mark.skipif(not BENCH.exists(), reason='AURORA-Bench sample not present')
def test_widget_on_real_items(tmp_path):
    from bootwm.datasets import read_aurora_bench
    rows = read_aurora_bench(BENCH)[::20]
    def gray(srcs, actions, ids): return [s.convert('L').convert('RGB') for s in srcs]
    preds = {'copy': run_system('copy', rows, BENCH, tmp_path/'copy', progress=False), 'gray': run_system(gray, rows, BENCH, tmp_path/'gray', progress=False)}
    he = HumanEval(rows, preds, tmp_path/'v.jsonl', 'ann', root=BENCH)
    for r in rows:
        assert he.item.id == r.id and he.src.value == _png(BENCH/r.src, he.width)
        _click(he, 'A', 'B')
    votes = read_votes(tmp_path/'v.jsonl')
    assert [v.subset for v in votes] == [r.cls for r in rows]
    assert set(scores(votes)) == {ALL} | {r.cls for r in rows}
