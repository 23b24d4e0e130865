"""`bootwm annotate`, `keyframes` and `eval` under `accelerate launch`: 2 CPU processes (gloo) write the same bytes as one
process, and a run with one rank SIGKILLed resumes (with 1 or 2 processes) to those bytes, nothing lost or twice."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest, torch
from bootwm.shard import complete_lines, shard_files, shard_name, status_name
from bootwm.toyworld import write_dataset
from bootwm.vlm import tiny_vlm

ROOT = Path(__file__).resolve().parent.parent
DDP = ROOT/'configs'/'accelerate'/'ddp.yaml'
BIN = Path(sys.executable).parent
# one thread in every process, so a float comes out the same in one process and in two
ENV = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1', 'HF_HUB_OFFLINE': '1'}

def cmd(n:int, *args) -> list[str]:
    "`bootwm ARGS` in one plain process, or under `accelerate launch` in `n`"
    launch = [str(BIN/'accelerate'), 'launch', '--config_file', str(DDP), '--num_processes', str(n)] if n > 1 else []
    return [*launch, str(BIN/'bootwm'), *map(str, args)]

def bootwm(n:int, *args):
    r = subprocess.run(cmd(n, *args), env=ENV, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return r

@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    d = tmp_path_factory.mktemp('shard')
    write_dataset(d/'w', n_labelled=2, n_videos=3, video_len=4, n_test=10)          # 12 unlabelled pairs, 10 test items
    idm = tiny_vlm(seed=3)
    with torch.no_grad(): idm.model.lm_head.weight.mul_(50)   # decisive logits: no near-ties
    idm.save_pretrained(d/'idm'); tiny_vlm(seed=1).save_pretrained(d/'fdm')
    return d

@pytest.fixture(scope='module')
def ref(toy):
    "The one-process annotation every other run must reproduce byte for byte"
    bootwm(1, 'annotate', toy/'idm', toy/'w'/'unlabelled.jsonl', toy/'ref.jsonl', '--batch-size', 2, '--quiet')
    return (toy/'ref.jsonl').read_bytes()

@pytest.mark.parametrize('temperature', [0, 1])
def test_annotate_two_processes(toy, ref, tmp_path, temperature):
    "Greedy, and sampled (each batch's generator seeded by its first id)"
    args = (toy/'idm', toy/'w'/'unlabelled.jsonl', tmp_path/'ann.jsonl', '--batch-size', 2, '--quiet', '--temperature', temperature)
    if temperature: bootwm(1, 'annotate', *args[:2], tmp_path/'one.jsonl', *args[3:]); ref = (tmp_path/'one.jsonl').read_bytes()
    r = bootwm(2, 'annotate', *[a for a in args if a != '--quiet'])
    assert (tmp_path/'ann.jsonl').read_bytes() == ref and len(ref.splitlines()) == 12
    assert '12/12' in r.stderr                                 # one bar, on rank 0, counting both processes' pairs
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != 'one.jsonl') == ['ann.jsonl']   # merged once, shards gone
    assert r.stdout.count('12 annotated pairs') == 1                                      # one process reports

@pytest.mark.parametrize('rerun', [1, 2])
def test_kill_one_rank_then_resume(toy, ref, tmp_path, rerun):
    out = tmp_path/'ann.jsonl'
    p = subprocess.Popen(cmd(2, 'annotate', toy/'idm', toy/'w'/'unlabelled.jsonl', out, '--batch-size', 1, '--quiet'),
                         env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    st, deadline, killed = status_name(out, 1, 2), time.time() + 300, None
    while time.time() < deadline and p.poll() is None and killed is None:
        try: s = json.loads(st.read_text())
        except (FileNotFoundError, json.JSONDecodeError): time.sleep(0.01); continue
        if s['done'] >= 1 and not s['finished']: os.kill(s['pid'], signal.SIGKILL); killed = s   # mid-way, some of its work written
    assert p.wait(timeout=120) != 0 and killed, 'rank 1 must be killed before it finishes'
    assert not out.exists() and complete_lines(shard_name(out, 1, 2))                    # nothing merged from a broken run
    bootwm(rerun, 'annotate', toy/'idm', toy/'w'/'unlabelled.jsonl', out, '--batch-size', 1, '--quiet')
    assert out.read_bytes() == ref
    assert shard_files(out) == []

def test_keyframes_two_processes(tmp_path):
    from bootwm.keyframes import toy_video
    for i, ev in enumerate(([10, 35, 55], [20, 45], [], [5, 30, 50])):                     # the third never moves: rejected
        toy_video(tmp_path/'videos'/('push' if i % 2 else 'pull')/f'v{i}', n_frames=60, events=ev, size=32, seed=i)
    for n in (1, 2):
        bootwm(n, 'keyframes', tmp_path/'videos', tmp_path/f'o{n}'/'pairs.jsonl', '--frames', 3, '--min-gap', 5, '--workers', 1, '--quiet')
    one, two = tmp_path/'o1', tmp_path/'o2'
    assert (one/'pairs.jsonl').read_bytes() == (two/'pairs.jsonl').read_bytes() and len((one/'pairs.jsonl').read_text().splitlines()) == 5
    assert (one/'pairs.rejects.jsonl').read_bytes() == (two/'pairs.rejects.jsonl').read_bytes()
    frames = lambda d: {p.relative_to(d): p.read_bytes() for p in d.rglob('*.png')}
    assert frames(one) == frames(two) and len(frames(one)) == 8
    assert sorted(p.name for p in two.iterdir()) == ['pairs.jsonl', 'pairs.rejects.jsonl', 'pairs_keyframes']

def test_eval_two_processes(toy, tmp_path):
    "The world model's K=2 candidates, verified by the IDM, in 2 chunks of 8 and 2 items: one chunk per process"
    for n in (1, 2):
        bootwm(n, 'eval', toy/'w'/'test.jsonl', tmp_path/f'e{n}', '--fdm', toy/'fdm', '--idm', toy/'idm', '--k', 2, '--quiet')
    for f in ('systems/world_model/preds.jsonl', 'systems/copy/preds.jsonl', 'items.jsonl'):
        assert (tmp_path/'e1'/f).read_bytes() == (tmp_path/'e2'/f).read_bytes(), f
    ims = lambda d: {p.name: p.read_bytes() for p in (d/'systems/world_model/images').iterdir()}
    assert ims(tmp_path/'e1') == ims(tmp_path/'e2') and len(ims(tmp_path/'e1')) == 10
    assert shard_files(tmp_path/'e2/systems/world_model/preds.jsonl') == [] and (tmp_path/'e2/report.md').exists()
