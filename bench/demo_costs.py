"""Where the demo's time goes, measured piece by piece on one thread (the demo's workers each use one).

Times: process start-up (importing bootwm.demo with torch and transformers), writing one seed's data, one
training step (FDM and IDM, batch 32), one validation check of each kind, the final test grading of a
verified arm (500 items, K=8 candidates, IDM scoring, three picks) and the IDM's annotation of the video
pairs; then multiplies by the default config's counts to predict the default demo's wall time on 2 workers.
Usage: .venv/bin/python bench/demo_costs.py   (prints JSON; on a shared machine, note the load average)
"""
import json, os, subprocess, sys, tempfile, time
from pathlib import Path
import torch

def timed(f, n=1):
    t = time.time()
    for _ in range(n): r = f()
    return (time.time() - t) / n, r

def main():
    torch.set_num_threads(1)
    from transformers.utils import logging; logging.disable_progress_bar()
    from bootwm.demo import DemoConfig, write_demo_data, _split, fdm_items, idm_items, epoch_steps, _every
    from bootwm.vlm import tiny_vlm
    from bootwm.train import train, TrainConfig, make_examples
    from bootwm.bootstrap import annotate
    load0 = os.getloadavg()
    startup, _ = timed(lambda: subprocess.run([sys.executable, '-c', 'import bootwm.demo'], check=True))
    cfg, d = DemoConfig(), Path(tempfile.mkdtemp())
    data_s, sizes = timed(lambda: write_demo_data(d, cfg, 0))
    lab, val, test, unl = (_split(d, s) for s in ('labelled', 'val', 'test', 'unlabelled'))
    m = tiny_vlm(cfg.world, cfg.hidden, cfg.layers)
    step = {}
    for task in ('fdm', 'idm'):
        ex = make_examples(m, lab, d, task)
        s, _ = timed(lambda: train(m, lab, d, TrainConfig(task=task, steps=100, batch_size=cfg.batch_size, log_every=100), examples=ex, progress=False))
        step[task] = s / 100
    val_fdm, _ = timed(lambda: fdm_items(m, val, d))
    val_idm, _ = timed(lambda: idm_items(m, val, d))
    test_k, _ = timed(lambda: fdm_items(m, test, d, k=cfg.k, idm=m))
    test_1, _ = timed(lambda: fdm_items(m, test, d))
    ann, _ = timed(lambda: annotate(m, unl, d, d/'ann.jsonl', progress=False))
    # the default's counts, per seed
    s_lab = epoch_steps(cfg.n_labelled, cfg.epochs, cfg.batch_size)
    s_big = epoch_steps(cfg.n_labelled + cfg.n_keep, cfg.epochs, cfg.batch_size)
    s_idm2 = epoch_steps(cfg.n_labelled + cfg.n_extra, cfg.idm_epochs, cfg.batch_size)
    every = _every(cfg)
    parts = dict(fdm_train=step['fdm'] * (3*s_lab + 2*s_big), idm_train=step['idm'] * (s_lab + s_idm2),
                 fdm_val=val_fdm * (3*(s_lab//every) + 2*(s_big//every + 1)), idm_val=val_idm * (s_lab//every + s_idm2//every + 1),
                 test=2*test_k + 3*test_1 + 2*test_1 + test_1, annotate=ann, data=data_s)
    per_seed = sum(parts.values())
    print(json.dumps(dict(load_before=[round(x, 1) for x in load0], load_after=[round(x, 1) for x in os.getloadavg()],
        startup_s=round(startup, 1), data_s_per_seed=round(data_s, 1), step_ms=dict((k, round(v*1000, 1)) for k, v in step.items()),
        val_check_s=dict(fdm=round(val_fdm, 2), idm=round(val_idm, 2)), test_s=dict(verified_k8=round(test_k, 1), one_sample=round(test_1, 1)),
        annotate_s=round(ann, 1), steps_per_seed=dict(fdm=3*s_lab + 2*s_big, idm=s_lab + s_idm2),
        per_seed_s={k: round(v, 1) for k, v in parts.items()}, predicted_wall_min_2_workers=round((per_seed*cfg.seeds/2 + 2*startup)/60, 1)), indent=1))

if __name__ == '__main__': main()
