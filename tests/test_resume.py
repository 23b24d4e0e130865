"Annotation killed with SIGKILL mid-way resumes to the same final manifest as an uninterrupted run."
import os, signal, subprocess, sys, time, textwrap
import torch
from bootwm.core import read_manifest
from bootwm.toyworld import write_dataset
from bootwm.vlm import tiny_vlm, UnifiedVLM
from bootwm.bootstrap import annotate

SCRIPT = textwrap.dedent('''
    import sys, time
    from bootwm.core import read_manifest
    from bootwm.vlm import UnifiedVLM
    import bootwm.bootstrap as B
    slow = B.annotate_batch
    def annotate_batch(*a, **k): time.sleep(0.3); return slow(*a, **k)    # slow enough to be killed mid-run
    B.annotate_batch = annotate_batch
    root, model, out = sys.argv[1:]
    B.annotate(UnifiedVLM.from_pretrained(model), read_manifest(f'{root}/unlabelled.jsonl'), root, out, batch_size=4, progress=False)
''')

def test_sigkill_then_resume(tmp_path):
    root = tmp_path/'world'; write_dataset(root, n_labelled=2, n_videos=8, video_len=5, n_test=2)
    pairs = read_manifest(root/'unlabelled.jsonl')
    idm = tiny_vlm(seed=3)
    with torch.no_grad(): idm.model.lm_head.weight.mul_(50)   # decisive logits: no near-ties that thread counts could flip
    idm.save_pretrained(tmp_path/'idm')
    idm = UnifiedVLM.from_pretrained(tmp_path/'idm')
    ref = annotate(idm, pairs, root, tmp_path/'ref.jsonl', batch_size=4, progress=False)
    out = tmp_path/'killed.jsonl'
    p = subprocess.Popen([sys.executable, '-c', SCRIPT, str(root), str(tmp_path/'idm'), str(out)])
    deadline = time.time() + 120
    while time.time() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 8): time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    n_before = len(out.read_text().splitlines())
    assert 8 <= n_before < len(pairs), 'the run must be killed part-way'
    with open(out, 'a') as f: f.write('{"id": "half a ro')            # as if killed mid-write
    res = annotate(idm, pairs, root, out, batch_size=4, progress=False)
    assert [r.id for r in res] == [r.id for r in ref]
    assert [r.action for r in res] == [r.action for r in ref]
    assert all(abs(a.score - b.score) < 1e-4 for a, b in zip(res, ref))
