"""Key-frame extraction throughput (frames/s) on rendered toy-world videos (MJPG .avi and PNG frame folders).

Toy videos are still between events and identical frames skip optical flow, so `pan=True` (the honest number
for real footage) also scrolls every frame sideways by 1 px: every frame then runs Farneback.

Usage: .venv/bin/python bench/keyframes.py   (prints one JSON line per setting)"""
import json, os, tempfile, time, warnings
import numpy as np
from bootwm.keyframes import toy_video, extract_keyframes, read_frames

def panned(path, size):
    "Re-encode a toy video with a 1 px/frame horizontal scroll, so that no two frames are equal"
    import cv2
    frames = list(read_frames(path)); os.remove(path)
    w = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 10, (size, size))
    for t, f in enumerate(frames): w.write(cv2.cvtColor(np.roll(f, t, axis=1), cv2.COLOR_RGB2BGR))
    w.release()

def corpus(root, n_videos, n_frames, size, ext, pan):
    rng = np.random.default_rng(0)
    for i in range(n_videos):
        ev = sorted(rng.choice(np.arange(1, n_frames), 12, replace=False).tolist())
        p = toy_video(f'{root}/c{i % 3}/v{i}{ext}', n_frames, ev, size=size, seed=i)
        if pan: panned(str(p), size)
    return root

def run(n_videos=8, n_frames=300, size=256, ext='.avi', workers=1, pan=True):
    root = corpus(tempfile.mkdtemp(), n_videos, n_frames, size, ext, pan)
    t = time.time(); assert sum(1 for _ in read_frames(f'{root}/c0/v0{ext}')) == n_frames; dec = time.time() - t
    t = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        rows = extract_keyframes(root, f'{root}/out/pairs.jsonl', k=6, min_gap=20, workers=workers, progress=False)
    dt = time.time() - t
    return dict(ext=ext or 'folder', pan=pan, size=size, videos=n_videos, frames_per_video=n_frames, workers=workers, pairs=len(rows),
                seconds=round(dt, 2), frames_per_s=round(n_videos * n_frames / dt), decode_only_frames_per_s=round(n_frames / dec))

if __name__ == '__main__':
    for size, ext, w, pan in [(256, '.avi', 1, False), (256, '', 1, False), (128, '.avi', 1, True), (256, '.avi', 1, True),
                              (256, '.avi', min(4, os.cpu_count()), True), (512, '.avi', 1, True)]:
        print(json.dumps(run(size=size, ext=ext, workers=w, pan=pan)), flush=True)
