"The baselines harness: prediction files, resume after a kill, the tiny InstructPix2Pix pipeline, world models, real AURORA-Bench items."
import inspect, json, signal, subprocess, sys, textwrap, time
from pathlib import Path
import numpy as np, pytest, torch
from PIL import Image
import bootwm.baselines as B
from bootwm.baselines import (PREDS, CONFIG, SYSTEMS, Pred, read_preds, pred_paths, run_system, register_system,
                              fit_resolution, load_pix2pix, tiny_pix2pix, image_name)
from bootwm.core import BootwmError, Transition, read_manifest
from bootwm.toyworld import write_dataset

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent/'shared'/'data'/'aurora-bench-sample'

@pytest.fixture(scope='module', autouse=True)
def one_thread():
    "Tiny models run fastest on one thread (two threads spin on a shared 2-core box); restored afterwards"
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    d = tmp_path_factory.mktemp('toy'); ps = write_dataset(d, n_labelled=2, n_videos=1, video_len=1, n_test=8)
    return d, read_manifest(ps['test'])

@pytest.fixture(scope='module')
def pix(tmp_path_factory): return tiny_pix2pix(tmp_path_factory.mktemp('pix')/'tiny')

def _arrays(p): return {k: np.asarray(Image.open(v), dtype=np.int16) for k, v in pred_paths(p).items()}

def _write(d, lines):
    (d/'images').mkdir(parents=True, exist_ok=True); Image.new('RGB', (4, 4)).save(d/'images/a.png')
    (d/PREDS).write_text(''.join(lines))

@pytest.mark.parametrize('line, err', [
    ('{"id": "a", "system": "s"}\n', ':1: pred: missing'),
    ('{"id": 3, "system": "s", "pred": "images/a.png"}\n', ':1: id=3: expected str'),
    ('{"id": "a", "system": "s", "pred": "/etc/passwd"}\n', ":1: pred='/etc/passwd': must be relative"),
    ('{"id": "a", "system": "s", "pred": "../a.png"}\n', "must be relative"),
    ('{"id": "a", "system": "s", "pred": "images/zz.png"}\n', ":1: pred='images/zz.png': image not found"),
    ('{"id": "a", "system": "s", "pred": "images/a.png", "x": 1}\n', ':1: x=1: unknown field'),
    ('[1, 2]\n', ':1: row is list'),
    ('{"id": "a", "system": "s", "pred": "images/a.png"}\n{"id": "a", "system": "s", "pred": "images/a.png"}\n', ":2: id='a': duplicate of line 1"),
    ('{"id": "a", "system": "s", "pred": "images/a.png"}\n{"id": "b", "system": "t", "pred": "images/a.png"}\n', ":2: system='t': differs"),
    ('{"id": "a", "system": "s", "pred": "images/a.png"}\n{"id": "b", "sys', ':2: not JSON'),
])
def test_read_preds_names_file_line_field(tmp_path, line, err):
    _write(tmp_path, [line])
    with pytest.raises(BootwmError, match='preds.jsonl') as e: read_preds(tmp_path)
    assert err in str(e.value)

def test_read_preds_ok(tmp_path):
    _write(tmp_path, ['{"id": "a", "system": "s", "pred": "images/a.png", "meta": {"k": 1}}\n', '\n'])
    assert read_preds(tmp_path/PREDS) == [Pred('a', 's', 'images/a.png', {'k': 1})]
    assert pred_paths(tmp_path) == {'a': tmp_path/'images/a.png'}
    assert read_preds(tmp_path, check_images=False) == read_preds(tmp_path)
    with pytest.raises(BootwmError, match='predictions file not found'): read_preds(tmp_path/'nope')

def test_copy_equals_source_and_refuses_foreign_folders(toy, tmp_path):
    d, rows = toy
    p = run_system('copy', rows, d, tmp_path/'copy', batch_size=3, progress=False)
    got = _arrays(p)
    assert list(got) == [r.id for r in rows]
    for r in rows: np.testing.assert_array_equal(got[r.id], np.asarray(Image.open(d/r.src)))
    (tmp_path/'foreign').mkdir(); (tmp_path/'foreign'/PREDS).write_text('')
    with pytest.raises(BootwmError, match='without system.json'): run_system('copy', rows, d, tmp_path/'foreign')
    run_system('copy', rows, d, tmp_path/'foreign', overwrite=True, progress=False)
    assert (tmp_path/'foreign'/PREDS).read_bytes() == p.read_bytes()

def test_bad_rows(toy, tmp_path):
    d, rows = toy
    with pytest.raises(BootwmError, match=r"duplicate ids \['t0'\]"): run_system('copy', rows + rows[:1], d, tmp_path/'a')
    with pytest.raises(BootwmError, match="id='x': action=None"): run_system('copy', [Transition('x', rows[0].src)], d, tmp_path/'b')
    with pytest.raises(BootwmError, match="id='a/../b'"): run_system('copy', [Transition('a/../b', rows[0].src, action='go')], d, tmp_path/'c')
    with pytest.raises(BootwmError, match='image file not found'): run_system('copy', [Transition('m', 'nope.png', action='go')], d, tmp_path/'d', progress=False)
    assert not (tmp_path/'a').exists()                            # rows are checked before the folder is made

def test_custom_system_registered_and_wrong_count(toy, tmp_path):
    d, rows = toy
    @register_system('test_flip')
    def flip_system(axis:int=0):
        return lambda srcs, actions, ids: [s.transpose(Image.Transpose.FLIP_LEFT_RIGHT if axis == 0 else Image.Transpose.FLIP_TOP_BOTTOM) for s in srcs]
    try:
        p = run_system('test_flip', rows[:2], d, tmp_path/'f', axis=1, progress=False)
        assert json.loads((tmp_path/'f'/CONFIG).read_text()) == dict(system='test_flip', kind='test_flip', settings=dict(axis=1))
        np.testing.assert_array_equal(_arrays(p)[rows[0].id], np.asarray(Image.open(d/rows[0].src))[::-1])
        with pytest.raises(BootwmError, match=r'axis: 1 -> 0'): run_system('test_flip', rows[:2], d, tmp_path/'f', axis=0)
    finally: SYSTEMS.pop('test_flip')
    with pytest.raises(BootwmError, match='returned 0 images for 2 items'):
        run_system(lambda s, a, i: [], rows[:2], d, tmp_path/'g', batch_size=2, progress=False)

SCRIPT = textwrap.dedent('''
    import sys, time
    from bootwm.core import read_manifest
    from bootwm.baselines import run_system
    def slow(srcs, actions, ids):
        time.sleep(0.3); return [s.rotate(90) for s in srcs]
    run_system(slow, read_manifest(sys.argv[1]), sys.argv[2], sys.argv[3], batch_size=1, progress=False)
''')

def test_resume_after_sigkill(toy, tmp_path):
    d, rows = toy; out = tmp_path/'slow'
    proc = subprocess.Popen([sys.executable, '-c', SCRIPT, str(d/'test.jsonl'), str(d), str(out)])
    try:
        n_lines = lambda: len((out/PREDS).read_text().splitlines()) if (out/PREDS).exists() else 0
        t0 = time.time()
        while n_lines() < 2:
            assert proc.poll() is None and time.time() - t0 < 60, 'the run ended (or stalled) before it was killed'
            time.sleep(0.05)
    finally: proc.send_signal(signal.SIGKILL); proc.wait()
    n_done = (out/PREDS).read_text().count('\n')
    assert 2 <= n_done < len(rows)
    with open(out/PREDS, 'a') as f: f.write('{"id": "t7", "sys')                # as if killed mid-line
    seen = []
    def slow(srcs, actions, ids): seen.extend(ids); return [s.rotate(90) for s in srcs]
    slow.__name__ = 'slow'
    run_system(slow, rows, d, out, batch_size=1, progress=False)
    assert seen == [r.id for r in rows[n_done:]]                                # only the missing items
    got = _arrays(out)
    assert list(got) == [r.id for r in rows]
    for r in rows: np.testing.assert_array_equal(got[r.id], np.asarray(Image.open(d/r.src).rotate(90)))
    seen.clear(); run_system(slow, rows, d, out, progress=False); assert seen == []

def test_fit_resolution():
    assert fit_resolution(Image.new('RGB', (640, 480))).size == (512, 384)
    assert fit_resolution(Image.new('RGB', (480, 640))).size == (384, 512)
    assert fit_resolution(Image.new('RGB', (512, 512))).size == (512, 512)
    assert fit_resolution(Image.new('RGB', (40, 30)), 64).size == (64, 64)
    for w, h in [(333, 500), (1000, 200), (64, 64)]:
        W, H = fit_resolution(Image.new('RGB', (w, h))).size
        assert W % 64 == 0 and H % 64 == 0 and W > 0 and H > 0

def test_pix2pix_seed_batch_size_and_resume(toy, pix, tmp_path, monkeypatch):
    d, rows = toy; rows = rows[:3]
    kw = dict(path=pix, num_inference_steps=2, resolution=None, progress=False)
    a = _arrays(run_system('pix2pix', rows, d, tmp_path/'a', batch_size=3, **kw))
    b = _arrays(run_system('pix2pix', rows, d, tmp_path/'b', batch_size=3, **kw))
    c = _arrays(run_system('pix2pix', rows, d, tmp_path/'c', batch_size=1, **kw))
    s = _arrays(run_system('pix2pix', rows, d, tmp_path/'s', batch_size=3, seed=7, **kw))
    for r in rows:
        assert a[r.id].shape == (32, 32, 3)
        np.testing.assert_array_equal(a[r.id], b[r.id])                          # same seed, same batches: identical
        assert np.abs(a[r.id] - c[r.id]).max() <= 1                              # other batches: float rounding only
        assert np.abs(a[r.id] - s[r.id]).mean() > 1                              # another seed: other images
    assert not all(np.array_equal(a[rows[0].id], a[r.id]) for r in rows[1:])     # items differ from each other
    cfg = json.loads((tmp_path/'a'/CONFIG).read_text())['settings']
    assert cfg == dict(path=str(pix), num_inference_steps=2, guidance_scale=7.5, image_guidance_scale=1.5, seed=42,
                       resolution=None, dtype=None)                               # device is not recorded
    before = (tmp_path/'a'/PREDS).read_bytes()
    def no_load(*a, **k): raise AssertionError('a finished run must not load the model')
    monkeypatch.setattr(B, 'load_pix2pix', no_load)
    run_system('pix2pix', rows, d, tmp_path/'a', batch_size=3, device='cpu', **kw)
    assert (tmp_path/'a'/PREDS).read_bytes() == before

def test_pix2pix_mixed_sizes_and_defaults(pix, tmp_path):
    srcs = [Image.new('RGB', (40, 30), 'red'), Image.new('RGB', (24, 48), 'blue'), Image.new('RGB', (40, 30), 'green')]
    for i, s in enumerate(srcs): s.save(tmp_path/f'{i}.png')
    rows = [Transition(f'm/{i}', f'{i}.png', action='make it darker') for i in range(3)]
    p = run_system('pix2pix', rows, tmp_path, tmp_path/'out', path=pix, num_inference_steps=1, resolution=64, progress=False)
    assert (tmp_path/'out/images/m/0.png').exists()
    assert [Image.open(v).size for v in pred_paths(p).values()] == [fit_resolution(s, 64).size for s in srcs] == [(64, 64), (64, 128), (64, 64)]
    dflt = {k: v.default for k, v in inspect.signature(B.pix2pix_system).parameters.items()}
    assert (dflt['num_inference_steps'], dflt['guidance_scale'], dflt['image_guidance_scale'], dflt['seed']) == (50, 7.5, 1.5, 42)
    with pytest.raises(BootwmError, match='num_inference_steps=0'): B.pix2pix_system(pix, num_inference_steps=0)
    with pytest.raises(BootwmError, match="dtype='float99'"): load_pix2pix(pix, dtype='float99')
    with pytest.raises(BootwmError, match='no model_index.json'): load_pix2pix(tmp_path)
    assert load_pix2pix(pix, device='cpu', dtype='bfloat16').unet.dtype == torch.bfloat16

def test_world_model_from_folder(toy, tmp_path):
    from bootwm.vlm import tiny_vlm
    from bootwm.tokenizers import GridTokenizer
    d, rows = toy; rows = rows[:4]
    tiny_vlm(seed=3).save_pretrained(tmp_path/'fdm')
    kw = dict(fdm=str(tmp_path/'fdm'), batch_size=2, progress=False)
    a = _arrays(run_system('world_model', rows, d, tmp_path/'a', **kw))
    b = _arrays(run_system('world_model', rows, d, tmp_path/'b', **kw))
    s = _arrays(run_system('world_model', rows, d, tmp_path/'s', seed=1, **kw))
    tok = GridTokenizer.for_world()
    for r in rows:
        np.testing.assert_array_equal(a[r.id], b[r.id])
        assert a[r.id].shape == (32, 32, 3)
        np.testing.assert_array_equal(np.asarray(tok.decode(tok.encode([Image.open(tmp_path/'a'/image_name(r.id))]))[0]), a[r.id])
    assert any(not np.array_equal(a[r.id], s[r.id]) for r in rows)
    assert json.loads((tmp_path/'a'/CONFIG).read_text())['settings'] == dict(fdm=str(tmp_path/'fdm'), idm=None, k=1, temperature=1.0, top_k=None, top_p=None,
                                                                          text_scale=None, image_scale=None, null=None, seed=42, quant=None)

@pytest.mark.skipif(not BENCH.exists(), reason='AURORA-Bench sample not present')
def test_real_aurora_bench(pix, tmp_path):
    from bootwm.datasets import read_aurora_bench
    rows = read_aurora_bench(BENCH)[::5]                            # every task, a dozen items
    p = run_system('copy', rows, BENCH, tmp_path/'copy', batch_size=16, progress=False)
    paths = pred_paths(p)
    assert list(paths) == [r.id for r in rows] and (tmp_path/'copy/images/magicbrush/0.png').exists()
    for r in rows: np.testing.assert_array_equal(np.asarray(Image.open(paths[r.id])), np.asarray(Image.open(BENCH/r.src).convert('RGB')))
    few = [r for r in rows if r.cls in ('magicbrush', 'something')][:3]
    q = run_system('pix2pix', few, BENCH, tmp_path/'pix', path=pix, num_inference_steps=1, resolution=64, progress=False)
    for r, v in zip(few, pred_paths(q).values()):
        assert Image.open(v).size == fit_resolution(Image.open(BENCH/r.src), 64).size
