"Key-frame extraction on toy-world videos with known moving frames: formats, gaps, images, parallelism, kill and resume."
import json, os, signal, subprocess, sys, textwrap, time
import numpy as np
import pytest
from PIL import Image
from bootwm.core import BootwmError
from bootwm.keyframes import (select_keyframes, motion_scores, read_frames, video_pairs, extract_keyframes,
                              find_videos, toy_video)

pytest.importorskip('cv2')
EVENTS = [8, 30, 52, 75, 97, 119]          # gaps >= 20, so with k=6, min_gap=20 the picks are exactly these

# select_keyframes, as properties of the greedy rule on random scores

def _greedy_ok(s, picks, k, gap, min_score=0.):
    assert picks == sorted(picks) and len(picks) <= k
    assert all(b - a >= gap for a, b in zip(picks, picks[1:]))
    assert all(s[p] > min_score for p in picks)
    if len(picks) < k:        # maximal: every frame left out is too low or too close to a pick at least as good
        for i in set(range(len(s))) - set(picks):
            assert s[i] <= min_score or any(abs(i - p) < gap and s[p] >= s[i] for p in picks), (i, picks)

def test_select_keyframes_properties():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n, k, gap = rng.integers(1, 80), rng.integers(1, 8), rng.integers(1, 25)
        s = rng.exponential(size=n) * (rng.random(n) < 0.5)
        _greedy_ok(s, select_keyframes(s, k, gap), k, gap)

def test_select_keyframes_top_one_always_kept():
    rng = np.random.default_rng(1)
    for _ in range(100):
        s = rng.random(60); assert int(s.argmax()) in select_keyframes(s, 3, 10)

# videos with known events

@pytest.mark.parametrize('ext', ['.avi', '.mp4', '.webm', ''])
def test_picks_are_the_event_frames(tmp_path, ext):
    v = toy_video(tmp_path/f'cls/v{ext}', 130, EVENTS, seed=3)
    rows = video_pairs(v, tmp_path/'out', k=6, min_gap=20)
    assert [(r.meta['src_frame'], r.meta['tgt_frame']) for r in rows] == list(zip(EVENTS, EVENTS[1:]))
    frames = list(read_frames(v))
    for r in rows:                 # the saved images are the decoded frames at those indices
        assert np.array_equal(np.asarray(Image.open(tmp_path/'out'/r.src)), frames[r.meta['src_frame']])
        assert np.array_equal(np.asarray(Image.open(tmp_path/'out'/r.tgt)), frames[r.meta['tgt_frame']])

def test_folder_frames_are_the_rendered_scenes(tmp_path):
    v = toy_video(tmp_path/'v', 130, EVENTS, seed=4)
    rows = video_pairs(v, tmp_path/'out')
    for r in rows:
        assert np.array_equal(np.asarray(Image.open(tmp_path/'out'/r.tgt)), np.asarray(Image.open(v/f"f{r.meta['tgt_frame']}.png")))
    # frames between events are identical, so the source of each pair also equals the frame just before the target
    assert all(np.array_equal(np.asarray(Image.open(tmp_path/'out'/r.src)), np.asarray(Image.open(v/f"f{r.meta['tgt_frame']-1}.png")))
               for r in rows[1:] if r.meta['tgt_frame'] - 1 > r.meta['src_frame'])

def test_min_gap_with_dense_events(tmp_path):
    ev = list(range(5, 120, 10))           # an event every 10 frames, gap 20: picks are events, 20+ apart
    v = toy_video(tmp_path/'v.avi', 125, ev, seed=5)
    s = motion_scores(read_frames(v))
    assert set(np.flatnonzero(s)) == set(ev)
    picks = select_keyframes(s, k=6, min_gap=20)
    _greedy_ok(s, picks, 6, 20)
    assert set(picks) <= set(ev) and len(picks) >= 4     # each pick blocks itself and its two neighbours

def test_unreadable_video_names_the_file(tmp_path):
    (tmp_path/'bad.avi').write_bytes(b'garbage')
    with pytest.raises(BootwmError, match='bad.avi'): video_pairs(tmp_path/'bad.avi', tmp_path/'out')
    with pytest.raises(BootwmError, match='empty'): video_pairs((tmp_path/'empty').mkdir() or tmp_path/'empty', tmp_path/'out')

def test_import_without_opencv():
    code = "import sys; sys.modules['cv2'] = None; import bootwm, bootwm.keyframes as K; print(K.select_keyframes([0, 3, 1], 1, 1))"
    assert subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.strip() == '[1]'

# the job: parallel, resumable

def _corpus(root, n=8):
    for i in range(n): toy_video(root/f'c{i % 2}'/(f'v{i}.avi' if i % 2 else f'v{i}'), 80, [6, 30, 55, 79], seed=i)
    return root

def test_parallel_equals_inline(tmp_path):
    root = _corpus(tmp_path/'corpus', 6)
    a = extract_keyframes(root, tmp_path/'a'/'pairs.jsonl', k=4, min_gap=20, workers=1, progress=False)
    b = extract_keyframes(root, tmp_path/'b'/'pairs.jsonl', k=4, min_gap=20, workers=2, progress=False)
    assert [r.to_dict() for r in a] == [r.to_dict() for r in b] and len(a) == 18
    assert (tmp_path/'a'/'pairs.jsonl').read_bytes() == (tmp_path/'b'/'pairs.jsonl').read_bytes()

SCRIPT = textwrap.dedent('''
    import sys, time
    import bootwm.keyframes as K
    slow = K.video_pairs
    def video_pairs(*a, **k): time.sleep(0.4); return slow(*a, **k)   # slow enough to be killed part-way
    K.video_pairs = video_pairs
    K.extract_keyframes(sys.argv[1], sys.argv[2], k=4, min_gap=20, workers=2, progress=False)
''')

def test_sigkill_then_resume(tmp_path):
    root = _corpus(tmp_path/'corpus')
    ref = extract_keyframes(root, tmp_path/'ref'/'pairs.jsonl', k=4, min_gap=20, workers=2, progress=False)
    out = tmp_path/'run'/'pairs.jsonl'; out.parent.mkdir()
    p = subprocess.Popen([sys.executable, '-c', SCRIPT, str(root), str(out)], start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 6): time.sleep(0.02)
    os.killpg(p.pid, signal.SIGKILL); p.wait()          # the run and its workers, at once
    n = len(out.read_text().splitlines())
    assert 6 <= n < len(ref), 'the run must be killed part-way'
    lines = (tmp_path/'ref'/'pairs.jsonl').read_text().splitlines(keepends=True)
    done = {json.loads(l)['meta']['video'] for l in out.read_text().splitlines()}
    extra = [l for l in lines if json.loads(l)['meta']['video'] not in done]
    with open(out, 'a') as f: f.write(extra[0] + extra[1][:40])    # as if killed mid-video: one whole row, half a row
    res = extract_keyframes(root, out, k=4, min_gap=20, workers=2, progress=False)
    assert sorted(json.dumps(r.to_dict()) for r in res) == sorted(json.dumps(r.to_dict()) for r in ref)
    assert len({r.id for r in res}) == len(res)

def test_resume_after_subset(tmp_path):
    root = _corpus(tmp_path/'corpus', 4); vids = find_videos(root)
    out = tmp_path/'pairs.jsonl'
    extract_keyframes(vids[:1], out, k=4, min_gap=20, workers=1, progress=False)
    res = extract_keyframes(vids, out, k=4, min_gap=20, workers=2, progress=False)
    ref = extract_keyframes(vids, tmp_path/'ref'/'pairs.jsonl', k=4, min_gap=20, workers=1, progress=False)
    assert [r.to_dict() for r in res] == [r.to_dict() for r in ref]

def test_rejects_recorded_and_skipped(tmp_path):
    root = _corpus(tmp_path/'corpus', 2); (root/'c0'/'zz.mp4').write_bytes(b'\0' * 64)
    out = tmp_path/'pairs.jsonl'
    with pytest.warns(UserWarning, match='1 video'): rows = extract_keyframes(root, out, k=4, min_gap=20, workers=2, progress=False)
    assert len(rows) == 6
    rej = [json.loads(l) for l in (tmp_path/'pairs.rejects.jsonl').read_text().splitlines()]
    assert [r['video'] for r in rej] == [str(root/'c0'/'zz.mp4')] and 'zz.mp4' in rej[0]['reason']
    with pytest.warns(UserWarning): extract_keyframes(root, out, k=4, min_gap=20, workers=2, progress=False)
    assert len((tmp_path/'pairs.rejects.jsonl').read_text().splitlines()) == 1   # not retried

def test_output_inside_root_is_not_read_back(tmp_path):
    toy_video(tmp_path/'a'/'v.avi', 70, [5, 30, 55])
    for _ in range(2): rows = extract_keyframes(tmp_path, tmp_path/'pairs.jsonl', k=3, workers=1, progress=False)
    assert len(rows) == 2 and not (tmp_path/'pairs.rejects.jsonl').exists()
