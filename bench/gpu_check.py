"""GPU check of the 7B targets: a full-size Chameleon-7B config with random weights, loaded the way a user loads Anole
(bootwm.families.load_vlm, 4-bit NF4, LoRA r16 on every projection), measured on one GPU:

1. peak memory of FDM QLoRA training steps at about 2.1k tokens (two 1024-token images and an action), with
   gradient checkpointing, through bootwm's own `train` (target: at most 16 GB);
2. image-token decoding, 1024 tokens for one source image with Anole's guidance (3 streams), at K=1 and K=8,
   with the prompt's KV cache shared by the K samples (bootwm's default) and copied K times (`share=False`)
   (target: K=8 at most 2x the wall time of K=1; the planner's estimate beside each peak);
3. verifier (IDM) scoring of the K=8 candidates.

The planner's estimate (bootwm.memory) is printed beside each measurement. Nothing is downloaded: the random
checkpoint is written to --work and loaded from there.

    python bench/gpu_check.py                 # on the GPU machine (about 5 minutes)
    python bench/gpu_check.py --tiny          # the same code on a tiny config, on CPU, in seconds
"""
import argparse, json, os, time
from pathlib import Path
import torch

def _sync():
    if torch.cuda.is_available(): torch.cuda.synchronize()

def _peak_reset():
    if torch.cuda.is_available(): torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()

def _peak():
    return dict(allocated_gib=torch.cuda.max_memory_allocated()/2**30, reserved_gib=torch.cuda.max_memory_reserved()/2**30) if torch.cuda.is_available() else {}

def chameleon_vocab(vocab_size:int, n_codes:int) -> list[str]:
    "Anole's layout: <s> <pad> </s> <unk>, image tokens from id 4, <eoss> <racm3:break>, then filler text tokens"
    from bootwm.families import image_token_name
    head = ['<s>', '<pad>', '</s>', '<unk>', *[image_token_name(c) for c in range(n_codes)], '<eoss>', '<racm3:break>']
    return head + [f'w{i}' for i in range(vocab_size - len(head))]

def build_checkpoint(work:Path, tiny:bool):
    "A random ChameleonLM in the hub's layout under `work/anole` (config, safetensors, tokenizer)"
    from transformers import ChameleonConfig
    from bootwm.families import ChameleonLM
    from bootwm.vlm import word_tokenizer
    n_codes = 64 if tiny else 8192
    kw = dict(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=4, vq_config=dict(embed_dim=4, num_embeddings=n_codes, latent_channels=4, resolution=16,
              base_channels=32, channel_multiplier=[1, 1], num_res_blocks=1)) if tiny else {}
    vocab = chameleon_vocab(kw.get('vocab_size', 65536), n_codes)
    tok = word_tokenizer([], vocab, bos='<s>', eos='</s>')
    cfg = ChameleonConfig(**kw, vocabulary_map=tok.get_vocab(), bos_token_id=0, eos_token_id=2, pad_token_id=1,
                          max_position_embeddings=4096)
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    with torch.device(dev): model = ChameleonLM(cfg).to(torch.bfloat16)
    model.save_pretrained(work/'anole'); tok.save_pretrained(work/'anole')
    del model; _peak_reset()
    return work/'anole', n_codes

from bootwm.tokenizers import ImageTokenizer

class CodesOnly(ImageTokenizer):
    "The check feeds codes, never pixels: only the layout matters (n_codes, n_tokens)"
    def __init__(self, n_codes, n_tokens): self.n_codes, self.n_tokens = n_codes, n_tokens

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tiny', action='store_true'); ap.add_argument('--work', default='/tmp/bootwm-gpu-check')
    ap.add_argument('--out', default=None); ap.add_argument('--steps', type=int, default=3)
    a = ap.parse_args(argv)
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    from bootwm.families import load_vlm
    from bootwm.train import TrainConfig, train
    from bootwm.generate import generate
    from bootwm.actions import score_actions
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    res = dict(device=torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu', tiny=a.tiny, torch=torch.__version__)
    t0 = time.time(); path, n_codes = build_checkpoint(work, a.tiny); res['build_s'] = time.time() - t0
    n_tokens = 16 if a.tiny else 1024
    itok = CodesOnly(n_codes, n_tokens)
    g = torch.Generator().manual_seed(0)
    src, tgt = (torch.randint(0, n_codes, (n_tokens,), generator=g) for _ in range(2))
    action = 'w5 w6 w7 w8 w9 w10 w11 w12'

    # 1. FDM QLoRA training steps, gradient checkpointing, bootwm's train()
    t0 = time.time()
    vlm = load_vlm(path, image_tokenizer=itok, quant='nf4', dtype='auto')
    res['load_s'] = time.time() - t0
    ex = vlm.fdm_example(src, action, tgt)
    res['train_tokens'] = len(ex['input_ids'])
    _peak_reset(); res['weights_gib'] = torch.cuda.memory_allocated()/2**30 if torch.cuda.is_available() else None
    cfg = TrainConfig.paper('fdm', steps=a.steps, batch_size=1, grad_accum=1, log_every=1)
    t0 = time.time()
    r = train(vlm, [], work, cfg, output_dir=work/'run', examples=[ex]*a.steps, progress=False)
    _sync(); res['train_step_s'] = (time.time() - t0) / a.steps
    res['train_peak'] = _peak(); res['train_losses'] = [h['loss'] for h in r.history if 'loss' in h]

    # 2. image decoding at K=1 and K=8 with Anole's guidance (3 streams), one source image; the prompt's KV cache
    #    shared by the K samples (bootwm's default) against copied K times (share=False, the older layout)
    from dataclasses import replace
    from bootwm.memory import MemoryPlan, estimate_sampling
    s = vlm.backend.sampling
    prompt = vlm.fdm_example(src, action)['input_ids']
    plan = MemoryPlan.from_model(vlm.model, precision='bf16' if torch.cuda.is_available() else 'fp32', seq_len=len(prompt),
                                 new_tokens=n_tokens, streams=3, device='cuda' if torch.cuda.is_available() else 'cpu')
    for share in (False, True):
        name = 'shared' if share else 'copied'
        for k in (1, 8):
            gd = vlm.fdm_guidance([src], [action], s['text_scale'], s['image_scale'])
            _peak_reset(); _sync(); t0 = time.time()
            out = generate(vlm, [prompt], n_tokens, allowed=vlm.image_mask, k=k, temperature=s['temperature'],
                           top_p=s['top_p'], guidance=gd, share=share)
            _sync(); dt = time.time() - t0
            assert out.ids.shape == (k, n_tokens) and vlm.image_mask[out.ids].all()
            est = estimate_sampling(replace(plan, k=k, shared_prompt=share))
            res[f'decode_k{k}_{name}'] = dict(seconds=dt, tokens_per_s=k*n_tokens/dt, peak=_peak(), estimate_gib=est.gib)
            if k == 8 and share: cands = vlm.backend.codes(out.ids).cpu()
        res[f'k8_over_k1_{name}'] = res[f'decode_k8_{name}']['seconds'] / res[f'decode_k1_{name}']['seconds']
    res['k8_shared_over_copied'] = res['decode_k8_shared']['seconds'] / res['decode_k8_copied']['seconds']

    # 3. verifier scoring of the 8 candidates (the same model as IDM, as one batch)
    _peak_reset(); _sync(); t0 = time.time()
    sc = score_actions(vlm, [src]*8, list(cands), [action]*8, batch_size=8)
    _sync(); res['verify_k8'] = dict(seconds=time.time() - t0, peak=_peak(), finite=bool(torch.isfinite(sc).all()))

    try:
        from bootwm.memory import estimate_for_check
        res['estimates'] = estimate_for_check(vlm.model.config, res['train_tokens'], n_tokens)
    except ImportError: pass
    text = json.dumps(res, indent=2, default=str)
    print(text)
    if a.out: Path(a.out).write_text(text)
    return res

if __name__ == '__main__': main()
