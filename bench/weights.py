"""Choosing the Eq. 2 weight normalisation and floor on a validation split (the default in bootwm.importance).

Trains the toy-world FDM on the demo's labelled data with each normalisation (the demo's epochs, schedule and
best-validation-checkpoint rule), several seeds, and grades each on the demo's **validation** split -- never
on test items, so the choice does not leak into the demo's verdict on claim (iii). Prints per variant the
validation ES / ME / score (mean over seeds and items, 95% paired-bootstrap interval) and each variant's
score difference from plain likelihood. Usage:

    .venv/bin/python bench/weights.py [--seeds S] [--epochs E] [--first-seed F]
"""
import sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path
import numpy as np, torch

VARIANTS = [('none', 0.0), ('raw', 0.0), ('mean1', 0.0), ('mean1', 0.1), ('mean1', 0.3), ('mean1', 0.6)]

def job(seed, norm, floor, root, cfg_d):
    torch.set_num_threads(1)
    from bootwm.demo import DemoConfig, fdm_items, _split, _fit
    from bootwm.train import KeepBest
    from bootwm.vlm import tiny_vlm
    cfg = DemoConfig(**{**cfg_d, 'floor': floor})
    lab, val = _split(root, 'labelled'), _split(root, 'val')
    fdm = tiny_vlm(cfg.world, cfg.hidden, cfg.layers, seed=seed)
    vf = lambda m: {k: float(np.mean(v)) for k, v in fdm_items(m, val, root, seed=seed)['sample'].items()}
    kb = KeepBest(vf, 'score')
    _fit(fdm, lab, root, cfg, 'fdm', seed, cfg.epochs, Path(root)/f'train-{norm}-{floor}', kb, norm)
    kb.restore(fdm)
    return fdm_items(fdm, val, root, seed=seed + 100)['sample']     # a fresh sample, not the one the checkpoint was chosen on

def main():
    from bootwm.demo import DemoConfig, write_demo_data, stat, interval
    a = sys.argv[1:]; get = lambda k, d: int(a[a.index(k)+1]) if k in a else d
    cfg = DemoConfig(seeds=get('--seeds', 3), first_seed=get('--first-seed', 100), epochs=get('--epochs', DemoConfig.epochs),
                     n_extra=1, n_videos=1, video_len=1, n_keep=1, n_test=1)
    tmp, t = Path(tempfile.mkdtemp()), time.time()
    roots = {s: tmp/f's{s}' for s in cfg.seed_list}
    for s, r in roots.items(): write_demo_data(r, cfg, s)
    with ProcessPoolExecutor(cfg.workers, mp_context=get_context('spawn')) as ex:
        futs = {(n, f, s): ex.submit(job, s, n, f, str(roots[s]), asdict(cfg)) for n, f in VARIANTS for s in cfg.seed_list}
        res = {k: v.result() for k, v in futs.items()}
    A = lambda n, f, m: np.array([res[n, f, s][m] for s in cfg.seed_list])
    print(f'validation split: {cfg.n_val} items x {cfg.seeds} seeds (first seed {cfg.first_seed}); {cfg.epochs} epochs; {time.time()-t:.0f} s')
    print('| norm | floor | ES | ME | score | score - plain [95% interval] |\n|---|---|---|---|---|---|')
    for n, f in VARIANTS:
        st = {m: stat(A(n, f, m)) for m in ('es', 'me', 'score')}
        d = interval(A(n, f, 'score') - A('none', 0.0, 'score'))
        print(f'| {n} | {f} | ' + ' | '.join(f"{s['mean']:.3f} [{s['lo']:.3f}, {s['hi']:.3f}]" for s in st.values())
              + f" | {d['diff']:+.2f} [{d['lo']:+.2f}, {d['hi']:+.2f}] |")

if __name__ == '__main__': main()
