"The shipped sample is exactly what its documented command writes (so it can never drift from the code)."
import numpy as np
from pathlib import Path
from PIL import Image
from bootwm.core import read_manifest
from bootwm.toyworld import write_dataset, oracle_next, load_world_config
from bootwm.tokenizers import GridTokenizer

SAMPLE = Path(__file__).resolve().parent.parent/'data'/'toy-sample'

def test_sample_regenerates(tmp_path):
    write_dataset(tmp_path, seed=0, n_labelled=16, n_videos=2, video_len=4, n_test=8)
    for m in ('labelled', 'unlabelled', 'test'):
        a, b = read_manifest(SAMPLE/f'{m}.jsonl'), read_manifest(tmp_path/f'{m}.jsonl')
        assert [r.to_dict() for r in a] == [r.to_dict() for r in b]
    for p in (SAMPLE/'images').iterdir():
        assert np.array_equal(np.asarray(Image.open(p)), np.asarray(Image.open(tmp_path/'images'/p.name))), p.name

def test_sample_targets_follow_the_actions():
    tok = GridTokenizer.for_world(load_world_config(SAMPLE))
    for r in read_manifest(SAMPLE/'labelled.jsonl'):
        src, tgt = tok.encode([SAMPLE/r.src, SAMPLE/r.tgt])
        assert (oracle_next(src.numpy(), r.action).reshape(-1) == tgt.numpy()).all(), r.id
