"""IDM annotation throughput (pairs/s) with the demo's tiny model on CPU, batch by batch into a JSONL manifest.

Usage: .venv/bin/python bench/annotate.py [--pairs N] [--processes 1,2]

With `--processes`, `bootwm annotate` runs as a command, in one plain process and under `accelerate launch` in each
other count (gloo on CPU, one thread per process), at batch size 64: pairs/s counts the annotation only (the
command's wall time less its start-up, timed by running it again on the finished output, which only loads the
model), and the merged outputs are checked byte for byte against the one-process output."""
import json, os, subprocess, sys, tempfile, time, torch
from pathlib import Path
from bootwm.core import read_manifest
from bootwm.toyworld import write_dataset, action_class
from bootwm.vlm import tiny_vlm
from bootwm.bootstrap import annotate
from bootwm.demo import DemoConfig

ROOT, BIN = Path(__file__).resolve().parent.parent, Path(sys.executable).parent

def processes(d:Path, idm:Path, n_pairs:int, counts:list[int]):
    env, ref = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1', 'HF_HUB_OFFLINE': '1'}, None
    for n in counts:
        launch = [str(BIN/'accelerate'), 'launch', '--config_file', str(ROOT/'configs/accelerate/ddp.yaml'), '--num_processes', str(n)] if n > 1 else []
        cmd = [*launch, str(BIN/'bootwm'), 'annotate', str(idm), str(d/'unlabelled.jsonl'), str(d/f'ann{n}.jsonl'), '--batch-size', '64', '--quiet']
        wall = []
        for _ in range(2):                       # the annotation, then the same command with nothing left to do: start-up
            t = time.time(); subprocess.run(cmd, env=env, check=True, capture_output=True); wall.append(time.time() - t)
        out = (d/f'ann{n}.jsonl').read_bytes(); ref = ref or out
        print(json.dumps(dict(pairs=n_pairs, processes=n, threads_per_process=1, seconds=round(wall[0], 1), startup_s=round(wall[1], 1),
                              pairs_per_s=round(n_pairs/(wall[0] - wall[1])), identical_to_first=out == ref)), flush=True)

def main():
    n = int(sys.argv[sys.argv.index('--pairs')+1]) if '--pairs' in sys.argv else 2000
    cfg, d = DemoConfig(), Path(tempfile.mkdtemp())
    write_dataset(d, n_labelled=1, n_videos=n//10, video_len=10, n_test=1, cfg=cfg.world)
    pairs, idm = read_manifest(d/'unlabelled.jsonl'), tiny_vlm(cfg.world, cfg.hidden, cfg.layers)
    if '--processes' in sys.argv:
        idm.save_pretrained(d/'idm')
        return processes(d, d/'idm', len(pairs), [int(p) for p in sys.argv[sys.argv.index('--processes')+1].split(',')])
    for bs in (64, 256):
        out = d/f'ann{bs}.jsonl'; t = time.time()
        annotate(idm, pairs, d, out, batch_size=bs, cls_fn=action_class, progress=False)
        dt = time.time() - t
        print(json.dumps(dict(pairs=len(pairs), batch_size=bs, threads=torch.get_num_threads(), seconds=round(dt, 1),
                              pairs_per_s=round(len(pairs)/dt))), flush=True)

if __name__ == '__main__': main()
