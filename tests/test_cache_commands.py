"The token cache across commands: `bootwm annotate` and `bootwm eval --task idm` given one `--cache` encode each image once."
import pytest
from bootwm.cache import file_digest
from bootwm.cli import main
from bootwm.core import read_manifest, resolve
from bootwm.tokenizers import GridTokenizer
from bootwm.toyworld import write_dataset, load_world_config
from bootwm.vlm import tiny_vlm

@pytest.fixture
def setup(tmp_path, monkeypatch):
    ps = write_dataset(tmp_path/'w', n_labelled=2, n_videos=1, video_len=1, n_test=6)
    tiny_vlm(load_world_config(tmp_path/'w'), hidden=16, layers=1).save_pretrained(tmp_path/'idm')
    encoded, real = [], GridTokenizer.features
    def counting(self, imgs): encoded.extend(map(str, imgs)); return real(self, imgs)
    monkeypatch.setattr(GridTokenizer, 'features', counting)       # every encoder call of either command, in this process
    images = {file_digest(resolve(p, tmp_path/'w')) for r in read_manifest(ps['test']) for p in (r.src, r.tgt)}
    return tmp_path, str(ps['test']), encoded, images

def _run(tmp, test, tag, *extra):
    assert main(['bootwm', 'annotate', str(tmp/'idm'), test, str(tmp/f'ann-{tag}.jsonl'), '--quiet', *extra]) == 0
    assert main(['bootwm', 'eval', test, str(tmp/f'eval-{tag}'), '--task', 'idm', '--idm', str(tmp/'idm'), '--quiet', *extra]) == 0

def test_annotate_then_eval_with_a_cache_encode_each_image_once(setup):
    tmp, test, encoded, images = setup
    _run(tmp, test, 'cached', '--cache', str(tmp/'cache'))
    assert len(encoded) == len(images)                       # each distinct image once, across both commands
    assert {file_digest(p) for p in encoded} == images
    encoded.clear(); _run(tmp, test, 'again', '--cache', str(tmp/'cache'))
    assert encoded == []                                     # a warm cache: no encoder call at all
    assert [r.action for r in read_manifest(tmp/'ann-again.jsonl')] == [r.action for r in read_manifest(tmp/'ann-cached.jsonl')]

def test_without_a_cache_each_command_encodes_again(setup):
    tmp, test, encoded, images = setup
    _run(tmp, test, 'plain')
    assert len(encoded) >= 2*len(images)

def test_a_cache_of_another_tokenizer_is_refused(setup):
    from bootwm.cache import TokenCache, encode_paths
    from bootwm.toyworld import WorldConfig
    tmp, test, _, _ = setup
    other = TokenCache(tmp/'cache', GridTokenizer.for_world(WorldConfig(cell=6)))
    with pytest.raises(Exception, match='a token cache of tokenizer'):
        encode_paths(GridTokenizer.for_world(load_world_config(tmp/'w')), [resolve(r.src, tmp/'w') for r in read_manifest(test)], cache=other)

def test_tokenize_then_train_reads_the_cache(setup, monkeypatch, capsys):
    tmp, _, encoded, _ = setup
    data = str(tmp/'w'/'labelled.jsonl')
    assert main(['bootwm', 'tokenize', data, str(tmp/'idm'), str(tmp/'cache')]) == 0
    n = len(encoded); assert n > 0
    assert main(['bootwm', 'train', 'idm', data, str(tmp/'m'), '--steps', '2', '--batch-size', '2', '--cache', str(tmp/'cache'), '--quiet']) == 0
    assert len(encoded) == n                                 # training encoded nothing
    monkeypatch.setenv('WORLD_SIZE', '2')                    # several processes may read a cache, never write one at once
    assert main(['bootwm', 'train', 'idm', data, str(tmp/'m2'), '--steps', '2', '--cache', str(tmp/'empty'), '--quiet']) == 2
    assert 'not in the cache; fill it with `bootwm tokenize`' in capsys.readouterr().err
