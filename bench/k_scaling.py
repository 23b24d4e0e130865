"""K candidates for the price of about two: wall time and peak memory of sampling K in {1, 2, 4, 8}
image candidates with Anole's three guidance streams, the copied layout (`share=False`: each candidate holds its own
copy of the prompt's KV cache) against the shared one (`share=True`: one copy, read once per step), on a
random-weight Chameleon-shaped model large enough that CPU decoding is bound by memory traffic (on one core of this
project's machine, the layers' and head's matrix products take 1.5x as long for 24 rows as for 3).

Default model: ChameleonLM, width 1024, 16 layers, 16 heads, MLP 2816, vocabulary 65536 (340M parameters, fp32,
1.36 GB; its KV cache is 128 KiB a token, so the three streams' 2071 prompt tokens hold 265 MB, a fifth of the
weights; at Anole-7B in NF4 they hold 1.0 GiB beside 3.6 GB of weights). Prompt: `<bos>`, a 12-token action, a 1024-code source image, `<boi>` (1040 tokens);
streams: that prompt, the image-only prompt (1029), the unconditional one (2). Prints one JSON line:

    k1_s, k8_s, ratio        decoding time (s) of `--new` tokens at K=1 and K=8 and their ratio, shared layout. The
                             decoders of K=1 and K=8 (then K=2 and K=4) are prefilled, then stepped in turn (a step:
                             guidance mix, vocabulary constraint, top-p sampling, the forward), so that other
                             processes on a shared machine slow both alike; the prefill, the same for every K, is timed apart (prefill_s); the
                             copied layout's `batch_repeat_interleave` is part of its prefill. `generate` itself runs
                             once first (a check and a warm-up).
    peak_mb_k8_shared/_copied  peak bytes allocated above the loaded model while sampling at K=8 (torch profiler)
    ... and every K's times for both layouts, and the planner's estimates (bootwm.memory) beside the peaks. The
    peaks are measured in a second process. Run it with MALLOC_MMAP_THRESHOLD_ set, so that freed blocks above 1 MB go
    back to the system: with glibc's default, the profiled runs' resident set grew past 17 GB at full size while the
    live tensors were a few GB.

    MALLOC_MMAP_THRESHOLD_=1048576 .venv/bin/python bench/k_scaling.py [--new 32] [--threads 1] [--small]
"""
import argparse, json, os, resource, statistics, subprocess, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from gpu_check import chameleon_vocab, CodesOnly

def build(small:bool):
    "A random ChameleonLM in Anole's vocabulary layout as a `UnifiedVLM` (fp32, eval mode)"
    from transformers import ChameleonConfig
    from bootwm.families import ChameleonLM, Chameleon
    from bootwm.vlm import UnifiedVLM, word_tokenizer
    n_codes = 8192
    dims = (dict(vocab_size=16384, hidden_size=256, intermediate_size=704, num_hidden_layers=4, num_attention_heads=4) if small else
            dict(vocab_size=65536, hidden_size=1024, intermediate_size=2816, num_hidden_layers=16, num_attention_heads=16))
    tok = word_tokenizer([], chameleon_vocab(dims['vocab_size'], n_codes), bos='<s>', eos='</s>')
    cfg = ChameleonConfig(**dims, num_key_value_heads=dims['num_attention_heads'], max_position_embeddings=4096,
                          vocabulary_map=tok.get_vocab(), bos_token_id=0, eos_token_id=2, pad_token_id=1,
                          vq_config=dict(embed_dim=4, num_embeddings=n_codes, latent_channels=4, resolution=16,
                                         base_channels=32, channel_multiplier=[1, 1], num_res_blocks=1))
    cfg._attn_implementation = 'sdpa'
    torch.manual_seed(0)
    return UnifiedVLM(ChameleonLM(cfg).eval(), tok, CodesOnly(n_codes, 1024), Chameleon(n_codes=n_codes))

def streams(vlm):
    "Anole's three streams for one random source image and a 12-token action"
    from bootwm.generate import Guidance
    g = torch.Generator().manual_seed(0)
    src = torch.randint(0, vlm.image_tokenizer.n_codes, (1024,), generator=g)
    action = ' '.join(f'w{i}' for i in range(5, 17))
    prompt = vlm.fdm_example(src, action)['input_ids']
    gd = Guidance.instruct([vlm.fdm_example(src, '')['input_ids']], [[vlm.sp['bos'], vlm.sp['boi']]], 3.0, 1.2)
    return prompt, gd

def sample(vlm, prompt, gd, k, new, share):
    "Sample `k` candidates of `new` codes: the samples, the prefill's time and every decoding step's time (s)"
    from bootwm.generate import generate
    marks, logits = [], vlm.logits
    def timed(*a, **kw):                          # the first call is the prefill, each later one a decoding step
        out = logits(*a, **kw); marks.append(time.perf_counter()); return out
    vlm.logits = timed
    try:
        t0 = time.perf_counter()
        g = generate(vlm, [prompt], new, allowed=vlm.image_mask, k=k, temperature=0.7, top_p=0.9, guidance=gd,
                     generator=torch.Generator().manual_seed(k), share=share)
        marks.append(time.perf_counter())         # the last token's sampling
    finally: del vlm.logits
    return g, marks[0] - t0, [b - a for a, b in zip(marks, marks[1:])]

def interleaved(vlm, rows, gd, ks, new, share):
    "Prefill one decoder per K, then decode them a step each in turn: others' load on a shared machine slows all alike"
    from bootwm.generate import CopiedDecoder, SharedDecoder, constrain, pick
    dec, last, pre, steps, S = {}, {}, {}, {k: [] for k in ks}, 1 + len(gd.streams)
    g, allowed = torch.Generator().manual_seed(0), vlm.image_mask
    for k in ks:
        t0 = time.perf_counter(); dec[k] = (SharedDecoder if share else CopiedDecoder)(vlm, rows, k)
        last[k] = dec[k].prefill(); pre[k] = time.perf_counter() - t0
    with torch.no_grad():
        for t in range(new):
            for k in ks:                          # one step as `generate` takes it: mix, constrain, sample, feed
                t0 = time.perf_counter()
                tok = pick(constrain(gd.mix(last[k]).log_softmax(-1), allowed), 0.7, None, 0.9, g)
                last[k] = dec[k].step(tok.repeat(S))
                steps[k].append(time.perf_counter() - t0)
    return pre, steps

def estimate_mb(vlm, prompt, k, new, share):
    from bootwm.memory import MemoryPlan, estimate_sampling, _inference_weights
    p = MemoryPlan.from_model(vlm.model, precision='fp32', device='cpu', seq_len=len(prompt), new_tokens=new, k=k, streams=3,
                              shared_prompt=share)
    e = estimate_sampling(p)
    return (e.total - sum(_inference_weights(p).values())) / 1e6      # above the loaded weights, as measured

def peaks(vlm, prompt, gd, k, new) -> dict:
    "Peak bytes above the loaded model while sampling K candidates in each layout (profiler), beside the planner's estimate"
    from bootwm.measure import peak_bytes
    res = {}
    for share in (True, False):
        _, peak = peak_bytes(lambda: sample(vlm, prompt, gd, k, new, share))
        name = 'shared' if share else 'copied'
        res[f'peak_mb_k{k}_{name}'] = round(peak/1e6, 1)
        res[f'estimate_mb_k{k}_{name}'] = round(estimate_mb(vlm, prompt, k, new, share), 1)
    return res

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--new', type=int, default=32, help='image tokens decoded per candidate')
    ap.add_argument('--threads', type=int, default=1, help='torch threads (1: steadier on a shared machine)')
    ap.add_argument('--ks', default='1,2,4,8'); ap.add_argument('--small', action='store_true', help='a 12M model, for a quick run')
    ap.add_argument('--no-memory', action='store_true', help='skip the profiled K=8 runs')
    ap.add_argument('--memory-only', action='store_true', help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if 'MALLOC_MMAP_THRESHOLD_' not in os.environ: print('warning: MALLOC_MMAP_THRESHOLD_ is not set (see the docstring)', file=sys.stderr)
    torch.set_num_threads(a.threads)
    vlm = build(a.small)
    prompt, gd = streams(vlm)
    ks = sorted(map(int, a.ks.split(','))); k1, k8 = ks[0], ks[-1]
    if a.memory_only: print(json.dumps(peaks(vlm, prompt, gd, k8, a.new))); return
    res = dict(params_m=round(vlm.model.num_parameters()/1e6, 1), prompt_tokens=len(prompt), new=a.new, threads=a.threads)
    rows = [prompt, *gd.streams[0], *gd.streams[1]]
    g = sample(vlm, prompt, gd, k8, 4, True)[0]                          # generate itself, end to end (and a warm-up)
    assert g.ids.shape == (k8, 4) and vlm.image_mask[g.ids].all()
    pre, steps = {}, {}
    pairs = [(k1, k8)] + [tuple(ks[i:i+2]) for i in range(1, len(ks) - 1, 2)]   # (1, 8), (2, 4): two caches alive at once
    for share in (False, True):
        p, st = {}, {}
        for pair in pairs:
            pp, ss = interleaved(vlm, rows, gd, pair, a.new, share); p.update(pp); st.update(ss)
        for k in ks:
            pre[(k, share)], steps[(k, share)] = p[k], st[k]
            print(f'K={k} {"shared" if share else "copied"}: prefill {p[k]:.1f} s, decoding {sum(st[k]):.2f} s '
                  f'(median step x steps {statistics.median(st[k])*len(st[k]):.2f} s)', file=sys.stderr)
    name = lambda k, s: f'k{k}_{"shared" if s else "copied"}'
    wall = {key: sum(v) for key, v in steps.items()}
    res['prefill_s'] = {name(*key): round(v, 2) for key, v in pre.items()}
    res['decode_s'] = {name(*key): round(v, 2) for key, v in wall.items()}
    res['decode_median_s'] = {name(*key): round(statistics.median(v)*len(v), 2) for key, v in steps.items()}
    res.update(k1_s=round(wall[(k1, True)], 2), k8_s=round(wall[(k8, True)], 2), ratio=round(wall[(k8, True)]/wall[(k1, True)], 2),
               ratio_copied=round(wall[(k8, False)]/wall[(k1, False)], 2))
    res['max_rss_mb_timing'] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1e3)
    del vlm
    if not a.no_memory:     # in a fresh process (whose allocator hands large blocks back)
        env = {**os.environ, 'MALLOC_MMAP_THRESHOLD_': os.environ.get('MALLOC_MMAP_THRESHOLD_', '1048576')}
        cmd = [sys.executable, __file__, '--memory-only', '--new', str(a.new), '--threads', str(a.threads), '--ks', a.ks] + (['--small'] * a.small)
        res.update(json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]))
    print(json.dumps(res))
    return res

if __name__ == '__main__': main()
