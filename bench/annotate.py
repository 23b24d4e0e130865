"""IDM annotation throughput (pairs/s) with the demo's tiny model on CPU, batch by batch into a JSONL manifest.

Usage: .venv/bin/python bench/annotate.py [--pairs N]"""
import json, sys, tempfile, time, torch
from pathlib import Path
from bootwm.core import read_manifest
from bootwm.toyworld import write_dataset, action_class
from bootwm.vlm import tiny_vlm
from bootwm.bootstrap import annotate
from bootwm.demo import DemoConfig

def main():
    n = int(sys.argv[sys.argv.index('--pairs')+1]) if '--pairs' in sys.argv else 2000
    cfg, d = DemoConfig(), Path(tempfile.mkdtemp())
    write_dataset(d, n_labelled=1, n_videos=n//10, video_len=10, n_test=1, cfg=cfg.world)
    pairs, idm = read_manifest(d/'unlabelled.jsonl'), tiny_vlm(cfg.world, cfg.hidden, cfg.layers)
    for bs in (64, 256):
        out = d/f'ann{bs}.jsonl'; t = time.time()
        annotate(idm, pairs, d, out, batch_size=bs, cls_fn=action_class, progress=False)
        dt = time.time() - t
        print(json.dumps(dict(pairs=len(pairs), batch_size=bs, threads=torch.get_num_threads(), seconds=round(dt, 1),
                              pairs_per_s=round(len(pairs)/dt))), flush=True)

if __name__ == '__main__': main()
