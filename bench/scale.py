"""Memory and time of building FDM training examples at scale: N pairs of 1024-token images (Chameleon's 512 px),
through the real `bootwm.train.make_examples` (chunked encoding, Eq. 2 weights, compact examples), with an image
tokenizer that makes synthetic 1024 x 256 fp32 feature maps (what the VQGAN encoder returns at 512 px) instead of
running an encoder.

Usage: .venv/bin/python bench/scale.py [--sizes 1000 10000 50000]   (one JSON line per size, each in a fresh process:
{"pairs": .., "peak_mb": .., "seconds": ..}; peak_mb is the process's peak resident memory, Python and torch included)"""
import argparse, json, resource, subprocess, sys, time, zlib
import torch
from bootwm.core import Transition
from bootwm.tokenizers import ImageTokenizer
from bootwm.vlm import Backend, UnifiedVLM, word_tokenizer

class SyntheticTokenizer(ImageTokenizer):
    "1024 tokens of 256-d features per 'image' (any path), drawn from a bank by the path's hash; codes from the features"
    type = 'synthetic-bench'
    def __init__(self, n_tokens=1024, dim=256, n_codes=8192, bank=32):
        self.n_tokens, self.n_codes, self.grid = n_tokens, n_codes, (32, 32)
        self.bank = torch.randn(bank, n_tokens, dim, generator=torch.Generator().manual_seed(0))
    def features(self, imgs):
        return torch.stack([self.bank[zlib.crc32(str(p).encode()) % len(self.bank)] for p in imgs])   # a fresh [B, n, d] copy
    def quantize(self, z): return (z[..., :4].abs().sum(-1) * 1000).long() % self.n_codes

def vlm():
    from transformers import LlamaConfig, LlamaForCausalLM
    from bootwm.toyworld import vocabulary
    tok, itok = word_tokenizer(vocabulary()), SyntheticTokenizer()
    cfg = LlamaConfig(vocab_size=len(tok) + itok.n_codes, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                      num_attention_heads=1, num_key_value_heads=1)
    return UnifiedVLM(LlamaForCausalLM(cfg), tok, itok, Backend('tiny', len(tok), itok.n_codes))

def one(n:int) -> dict:
    from bootwm.train import make_examples
    m = vlm()
    rows = [Transition(str(i), f'v{i // 10}/{i}.png', f'v{i // 10}/{i + 1}.png', 'move the red circle up') for i in range(n)]
    t = time.time(); ex = make_examples(m, rows, '/nonexistent', 'fdm'); secs = time.time() - t
    assert len(ex) == n and ex[0]['weights'].shape == ex[0]['input_ids'].shape
    return dict(pairs=n, peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), seconds=round(secs, 1),
                tokens_per_example=len(ex[0]['input_ids']))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--sizes', type=int, nargs='+', default=[1000, 10000, 50000])
    ap.add_argument('--one', type=int); a = ap.parse_args()
    if a.one: print(json.dumps(one(a.one)), flush=True); sys.exit()
    for n in a.sizes: subprocess.run([sys.executable, __file__, '--one', str(n)], check=True)
