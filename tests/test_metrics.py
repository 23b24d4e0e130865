"Image and text metrics on real AURORA-Bench items (skipped when ../shared/data is absent), with tiny random models"
import math
from pathlib import Path
import pytest, torch
from bootwm.metrics import (image_metrics, summarize, load_clip, load_dino, tiny_clip, tiny_dino,
                            tiny_bert, load_bertscore, idm_text_metrics, embed_images, l1_distance)

BENCH = Path(__file__).resolve().parents[2]/'shared'/'data'/'aurora-bench-sample'
pytestmark = pytest.mark.skipif(not (BENCH/'test.json').exists(), reason='AURORA-Bench sample not present')

@pytest.fixture(scope='module')
def bench():
    from bootwm.datasets import read_aurora_bench
    return read_aurora_bench(BENCH)

@pytest.fixture(scope='module')
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp('models')
    return load_clip(tiny_clip(d/'clip'), device='cpu'), load_dino(tiny_dino(d/'dino'), device='cpu')

def test_copy_and_oracle_on_real_items(bench, models):
    clip, dino = models
    copy = image_metrics(bench, {r.id: BENCH/r.src for r in bench}, BENCH,
                         clip=clip, dino=dino, size=64, progress=False)
    with_tgt = [r for r in bench if r.tgt]
    oracle = image_metrics(with_tgt, {r.id: BENCH/r.tgt for r in with_tgt}, BENCH,
                           clip=clip, dino=dino, size=64, progress=False)
    s = summarize(copy)
    assert set(s) == {'overall', *{r.cls for r in bench}}
    assert s['overall']['n'] == len(bench) and s['overall']['count']['l1'] == len(with_tgt)
    assert s['overall']['count']['clip_t'] == len(bench)                # CLIP-T needs no target
    for task in ('clevr', 'emu', 'epic'): assert math.isnan(s[task]['mean']['clip_i']) and s[task]['count']['clip_i'] == 0
    assert all(o['l1'] < 1e-6 and abs(o['clip_i'] - 1) < 1e-5 and abs(o['dino'] - 1) < 1e-5 for o in oracle)
    by_id = {c['id']: c for c in copy}
    assert all(by_id[o['id']]['l1'] > 0 for o in oracle)                # the Copy baseline is never pixel-perfect here
    assert summarize(oracle)['overall']['mean']['clip_i'] >= s['overall']['mean']['clip_i']

def test_caption_is_used_for_clip_t(bench, models):
    clip, _ = models
    rows = [r for r in bench if 'caption' in r.meta][:2]
    assert rows, 'the sample has WhatsUp items with captions'
    preds = {r.id: BENCH/r.tgt for r in rows}
    a = image_metrics(rows, preds, BENCH, clip=clip, progress=False)
    b = image_metrics(rows, preds, BENCH, clip=clip, caption_key=None, progress=False)
    assert all(abs(x['clip_t'] - y['clip_t']) > 1e-7 for x, y in zip(a, b))

def test_l1_resizes_to_target(bench):
    r = next(r for r in bench if r.tgt)
    assert l1_distance(BENCH/r.tgt, BENCH/r.tgt) == 0
    assert 0 < l1_distance(BENCH/r.src, BENCH/r.tgt) < 1

def test_embeddings_batch_invariant_on_photos(bench, models):
    paths = [BENCH/r.src for r in bench[:7]]
    for emb in models:
        torch.testing.assert_close(embed_images(emb, paths, batch_size=3), torch.cat([embed_images(emb, [p]) for p in paths]), atol=1e-5, rtol=0)

def test_text_metrics_per_task(bench, tmp_path):
    bert = load_bertscore(tiny_bert(tmp_path/'bert'), device='cpu')
    m = idm_text_metrics(bench, {r.id: r.action for r in bench}, bert)
    assert set(m) == {'overall', *{r.cls for r in bench}}
    for g in m.values(): assert g['bleu'] == pytest.approx(100) and g['rouge1'] == g['rougeL'] == pytest.approx(1) and g['bertscore'] == pytest.approx(1, abs=1e-4)
    shuffled = {r.id: s.action for r, s in zip(bench, bench[1:] + bench[:1])}
    assert idm_text_metrics(bench, shuffled, bert)['overall']['rougeL'] < 0.5
