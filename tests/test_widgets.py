"Drive the widgets headlessly: build, change a control, check what the figure and state now hold."
import os
os.environ['HF_HUB_OFFLINE'] = '1'
import matplotlib
matplotlib.use('Agg')
import numpy as np, pytest, torch
from matplotlib.colors import to_rgba
from bootwm.toyworld import random_scene, render, apply, Action, objects
from bootwm.tokenizers import GridTokenizer
from bootwm.importance import NORMS, image_weights
from bootwm.search import SearchResult
from bootwm.widgets import (importance_figure, importance_map, ImportanceMap, ranking_figure, candidate_ranking,
                            CandidateRanking, candidate_order, fig_png)

@pytest.fixture(scope='module')
def tok(): return GridTokenizer.for_world()

def _pair(seed):
    s = random_scene(np.random.default_rng(seed)); o = next(iter(objects(s)))
    return render(s), render(apply(s, Action('remove', o))), 'remove the ' + str(o)

@pytest.fixture(scope='module')
def pairs(): return [_pair(i) for i in range(3)]

@pytest.fixture(scope='module')
def results(tok, pairs):
    "Hand-made search results (no models): candidates are the target and perturbed copies"
    out = []
    for src, tgt, a in pairs:
        c = tok.encode([tgt, src, tgt, src]); c[2, 0] = (c[2, 0] + 1) % tok.n_codes
        out.append(SearchResult(tok.encode([src])[0], a, c, torch.tensor([-2., -0.5, -3., -1.])))
    return out

def test_importance_figure(tok, pairs, tmp_path):
    src, tgt, _ = pairs[0]
    src.save(tmp_path/'s.png'); tgt.save(tmp_path/'t.png')
    for norm in NORMS:
        fig, w = importance_figure(tok, tmp_path/'s.png', tmp_path/'t.png', norm, 0.3)   # paths work too
        assert len(fig.axes) == 4                                                       # 3 panels + colorbar
        assert torch.equal(w, image_weights(tok, [src], [tgt], norm, 0.3)[0])
        np.testing.assert_array_equal(np.asarray(fig.axes[2].images[0].get_array()), w.reshape(tok.grid).numpy())
        assert f'norm={norm}' in fig.axes[2].get_title() and 'floor=0.30' in fig.axes[2].get_title()
    assert fig_png(fig)[:4] == b'\x89PNG'

def test_importance_map_controls(tok, pairs):
    m = importance_map(tok, [(s, t) for s, t, _ in pairs], [a for *_, a in pairs])
    assert isinstance(m, ImportanceMap) and m.widget.children[1] is m.image
    assert m.image.value[:4] == b'\x89PNG'
    m.norm.value = 'none'
    assert torch.equal(m.weights, torch.ones(tok.n_tokens))
    m.norm.value = 'mean1'; m.floor.value = 1.0
    assert torch.allclose(m.weights, torch.ones(tok.n_tokens))          # floor 1: every token weighs the same
    m.floor.value = 0.0; m.index.value = 2
    s, t, a = pairs[2]
    assert torch.equal(m.weights, image_weights(tok, [s], [t], 'mean1', 0.0)[0])
    assert m.fig._suptitle.get_text() == a
    assert 'floor=0.00' in m.fig.axes[2].get_title()

def test_ranking_figure(tok, results):
    r = results[0]; oracle = [1., 0., 0.5, 0.25]
    fig = ranking_figure(tok, r, oracle)
    assert len(fig.axes) == 5
    titles = [a.get_title() for a in fig.axes[1:]]
    assert titles[0] == '#1 idm -0.500\noracle 0.000\nchosen'                 # candidate 1 is the IDM's best
    assert [t.split()[0] for t in titles] == ['#1', '#2', '#3', '#4']
    assert sum('chosen' in t for t in titles) == 1
    assert fig.axes[1].spines['left'].get_edgecolor() == to_rgba('green')
    fs = ranking_figure(tok, r, order='sampled')
    assert ['chosen' in a.get_title() for a in fs.axes[1:]] == [False, True, False, False]
    assert fs.axes[1].get_title().startswith('#3 idm -2.000')
    np.testing.assert_array_equal(np.asarray(fs.axes[3].images[0].get_array()), np.asarray(tok.decode(r.candidates[2:3])[0]))
    with pytest.raises(ValueError, match='order='): candidate_order(r, 'random')

def test_candidate_ranking_controls(tok, results):
    cr = candidate_ranking(tok, results, oracle=[[0.1, 0.2, 0.3, 0.4]] * len(results))
    assert isinstance(cr, CandidateRanking)
    assert cr.order == [1, 3, 0, 2] and cr.chosen == 1
    cr.order_by.value = 'sampled'
    assert cr.order == [0, 1, 2, 3]
    assert 'oracle 0.100' in cr.fig.axes[1].get_title()
    cr.results[2] = SearchResult(results[2].src, results[2].action, results[2].candidates, torch.tensor([0., -1., -2., -3.]))
    cr.index.value = 2
    assert cr.chosen == 0 and cr.fig._suptitle.get_text() == results[2].action
    assert cr.image.value[:4] == b'\x89PNG'
