"The token cache: hits and misses, changed images and tokenizers, crashes (SIGKILL mid-write), reopening."
import os
os.environ['HF_HUB_OFFLINE'] = '1'
import json, signal, subprocess, sys, textwrap, time
import numpy as np, pytest, torch
from PIL import Image
from bootwm.core import read_manifest, resolve
from bootwm.toyworld import write_dataset, WorldConfig
from bootwm.tokenizers import GridTokenizer
from bootwm.cache import TokenCache, encode_paths, file_digest

class Counting(GridTokenizer):
    "A grid tokenizer that counts the images it encodes"
    def __init__(self, *a, **kw): super().__init__(*a, **kw); self.n = 0
    def features(self, imgs): self.n += len(imgs); return super().features(imgs)

@pytest.fixture(scope='module')
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp('world'); ds = write_dataset(root, n_labelled=60, n_videos=1, video_len=2, n_test=1)
    rows = read_manifest(ds['labelled'])
    return root, [str(resolve(p, root)) for r in rows for p in (r.src, r.tgt)]

def test_hits_misses_and_order(world, tmp_path):
    _, paths = world; tok = Counting.for_world()
    cache = TokenCache(tmp_path, tok, shard_size=16, batch_size=7)
    codes, feats = cache.get(paths)
    assert torch.equal(codes, GridTokenizer.for_world().encode(paths))
    assert torch.allclose(feats, GridTokenizer.for_world().features(paths), atol=1e-3)
    n = len(set(map(file_digest, paths)))
    assert (cache.misses, cache.hits, len(cache), tok.n) == (n, 0, n, n)
    perm = np.random.default_rng(0).permutation(len(paths)); tok.n = 0
    c2, f2 = cache.get([paths[i] for i in perm])
    assert tok.n == 0 and cache.hits == n
    assert torch.equal(c2, codes[perm]) and torch.equal(f2, feats[perm])
    again = TokenCache(tmp_path, tok, shard_size=16)               # reopened from disk
    assert torch.equal(again.get(paths)[1], feats) and tok.n == 0

def test_same_content_two_paths_encoded_once(world, tmp_path):
    _, paths = world; tok = Counting.for_world()
    copy = tmp_path/'copy.png'; copy.write_bytes(open(paths[0], 'rb').read())
    cache = TokenCache(tmp_path/'c', tok)
    codes, _ = cache.get([paths[0], str(copy), paths[0]])
    assert tok.n == 1 and torch.equal(codes[0], codes[1]) and torch.equal(codes[0], codes[2])

def test_changed_image_reencoded(world, tmp_path):
    root, paths = world; tok = GridTokenizer.for_world()
    p = tmp_path/'img.png'; p.write_bytes(open(paths[0], 'rb').read())
    cache = TokenCache(tmp_path/'c', tok)
    before = cache.get([p])[0]
    x = np.asarray(Image.open(p)).copy(); x[:8, :8] = 255 - x[:8, :8]; Image.fromarray(x).save(p)
    after = cache.get([p])[0]
    assert torch.equal(after, tok.encode([p])) and not torch.equal(after, before) and cache.misses == 2

class Shifted(GridTokenizer):
    "Same images and size, a changed state (the codebook rolled by one): another fingerprint, other codes"
    def state(self):
        cfg, arrays = super().state(); return dict(cfg, shifted=True), arrays
    def _encode(self, imgs): return (super()._encode(imgs) + 1) % self.n_codes

def test_other_tokenizer_other_folder(world, tmp_path):
    _, paths = world; a, b = GridTokenizer.for_world(), Shifted.for_world()
    ca, cb = TokenCache(tmp_path, a), TokenCache(tmp_path, b)
    assert a.fingerprint != b.fingerprint and ca.dir != cb.dir
    assert torch.equal(ca.get(paths[:5])[0], a.encode(paths[:5]))
    assert len(cb) == 0 and torch.equal(cb.get(paths[:5])[0], b.encode(paths[:5])) and cb.misses == 5
    w6 = tmp_path/'w6'; ds = write_dataset(w6, n_labelled=3, n_videos=1, video_len=2, n_test=1, cfg=WorldConfig(cell=6))
    p6 = [str(resolve(r.src, w6)) for r in read_manifest(ds['labelled'])]
    c6 = TokenCache(tmp_path, GridTokenizer.for_world(WorldConfig(cell=6)))
    assert c6.dir not in (ca.dir, cb.dir) and c6.get(p6)[1].shape == (3, 16, 6*6*3)

def test_crash_between_shard_and_index(world, tmp_path, monkeypatch):
    "A shard renamed into place whose index lines were never written: its rows are unknown and re-encoded"
    _, paths = world; tok = Counting.for_world()
    cache = TokenCache(tmp_path, tok, shard_size=8); cache.get(paths[:8])       # shard 0 full and indexed
    real = open
    def no_index(f, mode='r', *a, **k):
        if str(f).endswith('index.jsonl') and 'a' in mode: raise KeyboardInterrupt
        return real(f, mode, *a, **k)
    monkeypatch.setattr('builtins.open', no_index)
    with pytest.raises(KeyboardInterrupt): cache.get(paths[8:16])
    monkeypatch.undo(); tok.n = 0
    fresh = TokenCache(tmp_path, tok, shard_size=8)
    assert torch.equal(fresh.get(paths[:16])[0], GridTokenizer.for_world().encode(paths[:16]))
    assert tok.n == len(set(map(file_digest, paths[:16]))) - 8

def test_index_pointing_at_wrong_rows(world, tmp_path):
    "An index line whose shard holds another key at that row is dropped, never trusted"
    _, paths = world; tok = GridTokenizer.for_world()
    cache = TokenCache(tmp_path, tok); cache.get(paths[:4])
    lines = (cache.dir/'index.jsonl').read_text().splitlines()
    d0, d1 = json.loads(lines[0]), json.loads(lines[1])
    d0['row'], d1['row'] = d1['row'], d0['row']
    (cache.dir/'index.jsonl').write_text('\n'.join([json.dumps(d0), json.dumps(d1)] + lines[2:]) + '\n')
    fresh = TokenCache(tmp_path, tok)
    assert len(fresh) == len(set(map(file_digest, paths[:4]))) - 2
    assert torch.equal(fresh.get(paths[:4])[0], tok.encode(paths[:4]))

SCRIPT = textwrap.dedent('''
    import sys, time, json
    from bootwm.tokenizers import GridTokenizer
    from bootwm.cache import TokenCache
    class Slow(GridTokenizer):
        def features(self, imgs): time.sleep(0.15); return super().features(imgs)
    root, paths = sys.argv[1], json.loads(sys.argv[2])
    TokenCache(root, Slow.for_world(), shard_size=6, batch_size=3).get(paths)
''')

def test_sigkill_mid_write_recovers(world, tmp_path):
    _, paths = world; paths = list(dict.fromkeys(paths))[:60]; tok = Counting.for_world()
    p = subprocess.Popen([sys.executable, '-c', SCRIPT, str(tmp_path), json.dumps(paths)])
    idx = tmp_path/tok.fingerprint/'index.jsonl'; deadline = time.time() + 120
    while time.time() < deadline and (not idx.exists() or len(idx.read_text().splitlines()) < 12): time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    n_before = len(idx.read_text().splitlines())
    assert 12 <= n_before < 60, 'the run must be killed part-way'
    with open(idx, 'a') as f: f.write('{"key": "0a1b')                     # as if killed mid-line
    cache = TokenCache(tmp_path, tok, shard_size=6, batch_size=3)
    assert 12 <= len(cache) <= n_before and not list(cache.dir.glob('*.tmp'))
    k = len(cache)
    assert torch.equal(cache.get(paths)[0], GridTokenizer.for_world().encode(paths))
    assert tok.n == len(set(map(file_digest, paths))) - k

def test_encode_paths_with_and_without_cache(world, tmp_path):
    _, paths = world; tok = GridTokenizer.for_world()
    ref, got = encode_paths(tok, paths), encode_paths(tok, paths, cache=TokenCache(tmp_path, tok))
    assert list(got) == list(ref)
    for p in ref:
        (c, f), (rc, rf) = got[p], ref[p]
        assert c.dtype == rc.dtype == torch.long and f.dtype == rf.dtype and c.shape == rc.shape and f.shape == rf.shape
        assert torch.equal(c, rc) and torch.allclose(f, rf, atol=1e-3)

def test_vqgan_tokenizer(tmp_path):
    diffusers = pytest.importorskip('diffusers')
    from bootwm.vqgan import VQGANTokenizer, chameleon_vq_config, TINY_VQ
    torch.manual_seed(0)
    tok = VQGANTokenizer(diffusers.VQModel(**chameleon_vq_config(**TINY_VQ)), size=64)
    rng = np.random.default_rng(0); paths = []
    for i in range(5):
        paths.append(tmp_path/f'{i}.png'); Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(paths[-1])
    codes, feats = TokenCache(tmp_path/'c', tok).get(paths)
    assert torch.equal(codes, tok.encode(paths))
    ref = tok.features(paths)
    assert torch.allclose(feats, ref, rtol=2e-3, atol=1e-3 * ref.abs().max().item())
