"""What the token cache saves: one epoch of building FDM examples (encode every src/tgt image, Eq. 2 weights)
without a cache, filling a cold cache, and from a warm one (same process: digests memoised; new process:
every file hashed again).

Two tokenizers: the toy world's grid tokenizer (32 px, nearly free: the cache can only save PNG decoding) and
the tiny random Chameleon-architecture VQGAN of bootwm.vqgan at 64 px (a real conv encoder, still ~1000x
cheaper than Anole's 512 px one). Usage (CPU):

    .venv/bin/python bench/cache.py [--n 2000] [--threads 2]
"""
import os
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import json, sys, tempfile, time
import torch
import bootwm.train as T
from bootwm.core import read_manifest, resolve
from bootwm.toyworld import write_dataset, WorldConfig
from bootwm.tokenizers import GridTokenizer
from bootwm.importance import token_weights
from bootwm.cache import TokenCache, encode_paths

def timed(f):
    t = time.perf_counter(); f(); return time.perf_counter() - t

def weights_epoch(rows, root, enc):
    "Encode every image (`enc(paths) -> dict`) and compute each transition's Eq. 2 weights"
    src, tgt = [str(resolve(r.src, root)) for r in rows], [str(resolve(r.tgt, root)) for r in rows]
    e = enc(src + tgt)
    zs, zt = torch.stack([e[p][1] for p in src]), torch.stack([e[p][1] for p in tgt])
    return token_weights(zs, zt)

def examples_epoch(vlm, rows, root, cache=None):
    "`bootwm.train.make_examples` (FDM), reading images through `cache` when given"
    return T.make_examples(vlm, rows, root, 'fdm', cache=cache)

def compare(name, tok, rows, root, epoch):
    "Seconds per epoch: no cache, cold cache, warm cache (same object), warm cache (reopened, digests not memoised)"
    d = tempfile.mkdtemp()
    plain = timed(lambda: epoch(None))
    c = TokenCache(d, tok); cold = timed(lambda: epoch(c))
    warm = timed(lambda: epoch(c))
    reopened = timed(lambda: epoch(TokenCache(d, tok)))
    size = sum(f.stat().st_size for f in c.dir.iterdir()) / 2**20
    r = dict(bench=name, images=len(c), no_cache_s=round(plain, 2), cold_cache_s=round(cold, 2), warm_s=round(warm, 2),
             warm_reopened_s=round(reopened, 2), speedup_warm=round(plain/warm, 1), speedup_reopened=round(plain/reopened, 1),
             cache_mb=round(size, 1))
    print(json.dumps(r), flush=True); return r

def main(n=2000, threads=2):
    torch.set_num_threads(threads)
    from bootwm.vlm import tiny_vlm
    tmp = tempfile.mkdtemp()
    write_dataset(f'{tmp}/g', n_labelled=n, n_videos=1, video_len=1, n_test=1)
    rows, vlm = read_manifest(f'{tmp}/g/labelled.jsonl'), tiny_vlm()
    grid = GridTokenizer.for_world()
    T.make_examples(vlm, rows[:256], f'{tmp}/g', 'fdm')                             # warm-up
    compare('grid: make_examples (fdm)', grid, rows, f'{tmp}/g', lambda c: examples_epoch(vlm, rows, f'{tmp}/g', c))
    compare('grid: encode + weights', grid, rows, f'{tmp}/g',
            lambda c: weights_epoch(rows, f'{tmp}/g', lambda p: encode_paths(grid, p, cache=c)))
    import diffusers
    from bootwm.vqgan import VQGANTokenizer, chameleon_vq_config, TINY_VQ
    torch.manual_seed(0)
    vq = VQGANTokenizer(diffusers.VQModel(**chameleon_vq_config(**TINY_VQ)), size=64, batch_size=64)
    write_dataset(f'{tmp}/v', n_labelled=n, n_videos=1, video_len=1, n_test=1, cfg=WorldConfig(cell=16))   # 64 px
    vrows = read_manifest(f'{tmp}/v/labelled.jsonl')
    encode_paths(vq, [str(resolve(r.src, f'{tmp}/v')) for r in vrows[:256]])   # warm-up: the first conv calls are several times slower
    compare('tiny VQGAN 64px: encode + weights', vq, vrows, f'{tmp}/v',
            lambda c: weights_epoch(vrows, f'{tmp}/v', lambda p: encode_paths(vq, p, cache=c)))

if __name__ == '__main__':
    a = sys.argv[1:]
    main(int(a[a.index('--n')+1]) if '--n' in a else 2000, int(a[a.index('--threads')+1]) if '--threads' in a else 2)
