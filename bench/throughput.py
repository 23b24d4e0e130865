"""Training throughput (tokens/s) of the demo's tiny toy-world model (3x3 world, Llama 2x64) under transformers' Trainer.

Usage: .venv/bin/python bench/throughput.py   (prints one JSON line per setting)"""
import json, tempfile, time, torch
from bootwm.toyworld import write_dataset
from bootwm.core import read_manifest
from bootwm.vlm import tiny_vlm
from bootwm.train import train, TrainConfig, make_examples
from bootwm.demo import DemoConfig

def run(task, threads, steps=200, batch=32):
    torch.set_num_threads(threads)
    cfg = DemoConfig(); d = tempfile.mkdtemp()
    write_dataset(d, n_labelled=512, n_videos=1, video_len=1, n_test=1, cfg=cfg.world)
    rows, vlm = read_manifest(f'{d}/labelled.jsonl'), tiny_vlm(cfg.world, cfg.hidden, cfg.layers)
    ex = make_examples(vlm, rows, d, task)
    toks = sum(len(e['input_ids']) for e in ex) / len(ex) * batch * steps
    t = time.time(); train(vlm, rows, d, TrainConfig(task=task, steps=steps, batch_size=batch, log_every=100), examples=ex, progress=False)
    dt = time.time() - t
    return dict(task=task, threads=threads, steps=steps, batch=batch, seconds=round(dt, 1), tokens_per_s=round(toks/dt),
                params=vlm.model.num_parameters())

if __name__ == '__main__':
    for task in ('idm', 'fdm'):
        for th in (1, 2): print(json.dumps(run(task, th)), flush=True)
