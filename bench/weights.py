"""Choosing the Eq. 2 weight normalisation by measurement (the default in bootwm.importance).

Trains the toy-world FDM on the demo's labelled data with each normalisation, same budget, several seeds,
and prints oracle ES / ME / score (mean ± std). Usage:

    .venv/bin/python bench/weights.py [--steps N] [--seeds S]
"""
import json, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
import numpy as np, torch

VARIANTS = [('none', 0.0), ('raw', 0.0), ('mean1', 0.0), ('mean1', 0.03), ('mean1', 0.1), ('mean1', 0.3)]

def job(seed, norm, floor, root, cfg_d):
    torch.set_num_threads(1)
    from bootwm.demo import DemoConfig
    from bootwm.core import read_manifest
    from bootwm.toyworld import load_world_config
    from bootwm.vlm import tiny_vlm
    from bootwm.train import train, TrainConfig
    from bootwm.evaluate import evaluate_fdm
    cfg, wc = DemoConfig(**cfg_d), load_world_config(root)
    fdm = tiny_vlm(wc, cfg.hidden, cfg.layers, seed=seed)
    lr = cfg.lr
    train(fdm, read_manifest(Path(root)/'labelled.jsonl'), root, TrainConfig(task='fdm', steps=cfg.steps, batch_size=cfg.batch_size,
          lr=lr, norm=norm, floor=floor, seed=seed), progress=False)
    return evaluate_fdm(fdm, read_manifest(Path(root)/'test.jsonl'), root, wc, generator=torch.Generator().manual_seed(seed))['sample']

def main():
    from bootwm.demo import DemoConfig
    from bootwm.toyworld import write_dataset
    from dataclasses import asdict
    args = sys.argv[1:]
    seeds = int(args[args.index('--seeds')+1]) if '--seeds' in args else 3
    kw = dict(steps=int(args[args.index('--steps')+1])) if '--steps' in args else {}
    cfg = DemoConfig(**kw); tmp = Path(tempfile.mkdtemp())
    roots = [write_dataset(tmp/f's{s}', seed=1000+s, n_labelled=cfg.n_labelled, n_videos=1, video_len=1, n_test=cfg.n_test, cfg=cfg.world) and tmp/f's{s}'
             for s in range(seeds)]
    t = time.time()
    with ProcessPoolExecutor(cfg.workers, mp_context=get_context('spawn')) as ex:
        futs = {(n, f, s): ex.submit(job, s, n, f, str(roots[s]), asdict(cfg)) for n, f in VARIANTS for s in range(seeds)}
        res = {k: v.result() for k, v in futs.items()}
    print(f'| norm | floor | ES | ME | score | exact |  ({seeds} seeds, {cfg.steps} steps, {time.time()-t:.0f} s)')
    print('|---|---|---|---|---|---|')
    for n, f in VARIANTS:
        ms = {m: [res[n, f, s][m] for s in range(seeds)] for m in ('es', 'me', 'score', 'exact')}
        print(f'| {n} | {f} | ' + ' | '.join(f'{np.mean(v):.2f} ± {np.std(v):.2f}' for v in ms.values()) + ' |')

if __name__ == '__main__': main()
