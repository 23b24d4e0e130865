"""One FDM training epoch with and without a warm token cache (the ratio), toy world and demo model.

Usage: .venv/bin/python bench/epoch.py"""
import json, math, tempfile, time
from pathlib import Path
from bootwm.core import read_manifest
from bootwm.toyworld import write_dataset
from bootwm.vlm import tiny_vlm
from bootwm.train import train, TrainConfig
from bootwm.cache import TokenCache
from bootwm.demo import DemoConfig

def epoch(rows, d, cfg, cache=None):
    vlm = tiny_vlm(cfg.world, cfg.hidden, cfg.layers); t = time.time()
    train(vlm, rows, d, TrainConfig(task='fdm', steps=math.ceil(len(rows)/cfg.batch_size), batch_size=cfg.batch_size), cache=cache, progress=False)
    return time.time() - t

def main():
    cfg, d = DemoConfig(), Path(tempfile.mkdtemp())
    write_dataset(d, n_labelled=2000, n_videos=1, video_len=1, n_test=1, cfg=cfg.world)
    rows = read_manifest(d/'labelled.jsonl')
    plain = epoch(rows, d, cfg)
    cache = TokenCache(d/'cache', tiny_vlm(cfg.world).image_tokenizer)
    cold = epoch(rows, d, cfg, cache)
    warm = epoch(rows, d, cfg, TokenCache(d/'cache', tiny_vlm(cfg.world).image_tokenizer))
    print(json.dumps(dict(transitions=len(rows), no_cache_s=round(plain, 2), cold_cache_s=round(cold, 2), warm_cache_s=round(warm, 2),
                          ratio_no_cache_over_warm=round(plain/warm, 2))))

if __name__ == '__main__': main()
