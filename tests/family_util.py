"Shared by the tests of the real families: a toy dataset, tiny checkpoints in the hub's layout, weights as values"
import pytest, torch
from bootwm.core import read_manifest
from bootwm.families import tiny_chameleon, tiny_liquid
from bootwm.toyworld import write_dataset

TINY = dict(chameleon=tiny_chameleon, liquid=tiny_liquid)

@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy')
    return root, read_manifest(write_dataset(root, n_labelled=32, n_videos=2, video_len=2, n_test=8)['labelled'])

@pytest.fixture(scope='module', params=list(TINY))
def base(request, tmp_path_factory):
    "A tiny model of the family saved in the hub's layout (the way a downloaded checkpoint sits on disk)"
    d = tmp_path_factory.mktemp(request.param)
    vlm = TINY[request.param](seed=0)
    vlm.model.save_pretrained(d/'lm'); vlm.tokenizer.save_pretrained(d/'lm')
    return request.param, d/'lm', vlm.image_tokenizer

def plain_name(n:str) -> str: return n.replace('base_model.model.', '').replace('.base_layer', '')

def dequantised(p) -> torch.Tensor:
    "A parameter's value: 4-bit weights dequantised (their bytes are a storage layout that bitsandbytes may repack)"
    qs = getattr(p, 'quant_state', None)
    if qs is None: return p.detach().clone()
    from bitsandbytes.functional import dequantize_4bit
    return dequantize_4bit(p.data, qs).clone()

def base_weights(model) -> dict:
    "Every non-LoRA parameter of `model` by its name without peft's prefixes, as its value"
    return {plain_name(n): dequantised(p) for n, p in model.named_parameters() if 'lora_' not in n}
