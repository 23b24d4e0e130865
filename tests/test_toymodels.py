"""The toy IDM and FDM bootwm ships (`bootwm/assets`) are what their recipe makes: the shipped pair still earns the
grades it records, and running the recipe again (`tools/toy_models.py`) gives a pair of the same architecture that
passes the same bar. Equal bytes are not asked for: CPU training is deterministic on one machine, not across CPU kinds."""
import json, subprocess, sys
from pathlib import Path
import pytest, torch
from safetensors import safe_open
from bootwm.toymodels import ASSETS, ToyModelsConfig, load_toy_models, write_toy_data, _grade

ROOT = Path(__file__).resolve().parent.parent

def passes_bar(g):
    "The stated bar: the IDM is right on at least half the test items and 5x a uniform guess among valid actions; the FDM's sampled next frames score at least 6 of 10 and twice what applying such a guess scores"
    return (g['idm']['accuracy'] >= 0.5 and g['idm']['accuracy'] >= 5*g['chance']['idm_accuracy']
            and g['fdm']['score'] >= 6 and g['fdm']['score'] >= 2*g['chance']['fdm_score'])

def tensors(path):
    with safe_open(str(Path(path)/'lm/model.safetensors'), 'pt') as f: return {k: f.get_tensor(k) for k in f.keys()}

def test_shipped_pair_is_small_half_precision_and_passes_the_bar():
    for n in ('toy-idm', 'toy-fdm'):
        assert sum(p.stat().st_size for p in (ASSETS/n).rglob('*') if p.is_file()) < 1_000_000
        assert {t.dtype for t in tensors(ASSETS/n).values()} == {torch.float16}
    idm, fdm = load_toy_models()
    assert idm.info['config'] == fdm.info['config'] and idm.info['model'] == 'idm' and fdm.info['model'] == 'fdm'
    assert passes_bar(idm.info['grades']), idm.info['grades']

def test_shipped_pair_earns_its_recorded_grades(tmp_path):
    idm, fdm = load_toy_models()
    cfg = ToyModelsConfig(**idm.info['config'])
    test = write_toy_data(tmp_path, cfg)['test']                  # the same seed writes the same test items
    g, rec = _grade(idm, fdm, test, tmp_path, cfg), idm.info['grades']
    assert g['chance'] == pytest.approx(rec['chance']) and g['copy'] == pytest.approx(rec['copy'])
    # fp16 storage and another CPU's arithmetic may flip a near-tie here and there, never more than a few items
    assert abs(g['idm']['accuracy'] - rec['idm']['accuracy']) <= 0.03, (g['idm'], rec['idm'])
    assert abs(g['fdm']['score'] - rec['fdm']['score']) <= 0.3, (g['fdm'], rec['fdm'])
    assert passes_bar(g)

def test_recipe_regenerates_the_pair(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT/'tools/toy_models.py'), str(tmp_path)], capture_output=True, text=True,
                       env={'PYTHONPATH': str(ROOT), 'PATH': '/usr/bin:/bin', 'HF_HUB_OFFLINE': '1'}, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    for n in ('toy-idm', 'toy-fdm'):
        new, old = tensors(tmp_path/n), tensors(ASSETS/n)
        assert {k: (v.shape, v.dtype) for k, v in new.items()} == {k: (v.shape, v.dtype) for k, v in old.items()}
        cfg = lambda p: {k: v for k, v in json.loads((p/n/'lm/config.json').read_text()).items() if k != 'transformers_version'}
        assert cfg(tmp_path) == cfg(ASSETS)
        info = json.loads((tmp_path/n/'toy_model.json').read_text())
        assert info['config'] == json.loads((ASSETS/n/'toy_model.json').read_text())['config']
    assert passes_bar(info['grades']), info['grades']
