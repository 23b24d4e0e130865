"""GPU memory estimates (bootwm.memory) for the paper's two 7B models on one consumer GPU, and what `fit` picks.

Estimates only: built from the transformers config classes (no weights), checked against measurements on tiny
models (nbs/03b_memory.ipynb, tests/test_memory.py) but not yet on a GPU at full size. Prints markdown tables
for bench/RESULTS.md, then each estimate's breakdown. Usage:

    .venv/bin/python bench/memory.py [--budget GIB]
    .venv/bin/python bench/memory.py --check [--tiny]

`--check` measures the FDM QLoRA training step against its estimate on this machine's device: random bf16
weights from each full-size config (or a tiny one with `--tiny`, which also runs on a CPU) are saved to a
temporary directory (~14-17 GB at full size), loaded back in NF4, given LoRA r=16 and non-reentrant gradient
checkpointing (as `Trainer` does), and stepped once under bf16 autocast on a random 2100-token FDM batch. On CUDA
it also prints the allocator's reserved peak and the device's used memory, which check the context and slack terms.
"""
import sys, tempfile, shutil
from dataclasses import replace
import torch
from transformers import ChameleonConfig, GemmaConfig
from bootwm.core import BootwmError
from bootwm.memory import GiB, MemoryPlan, estimate_train, estimate_sampling, estimate_scoring, fit
from bootwm.measure import measure_train_step, compare

N = 1024                     # image tokens (512 px -> 32 x 32 codes)
ACTION = 12                  # tokens of a short action
FDM = 1 + ACTION + (N + 2) + (N + 2)        # <bos> action <boi> src <eoi> <boi> tgt <eoi>: the "about 2.1k" step
FDM_PROMPT = 1 + ACTION + (N + 2) + 1       # ... <boi>: what the sampler reads before writing N codes
IDM = 1 + 2*(N + 2) + ACTION + 1            # <bos> src tgt action <eos>: one verifier candidate

MODELS = {   # model -> (config, guidance streams of its sampler)
    'Anole / Chameleon-7B': (ChameleonConfig(), 3),                   # prompt, image-only, unconditional
    'Liquid-7B (Gemma-7B)': (GemmaConfig(vocab_size=256000 + 8192), 2),  # prompt, unconditional
}

def jobs(cfg, streams):
    base = MemoryPlan.from_config(cfg, quant='nf4', precision='bf16', lora_r=16, attn='sdpa')
    # bootwm computes logits for the labelled tail only (`bootwm.importance.label_tail`): the target image (N + 2) when
    # training the FDM, the action (ACTION + 2) when the verifier scores
    return [('FDM QLoRA train step', 'train', replace(base, seq_len=2100, batch_size=1, gradient_checkpointing=True, logit_tokens=N + 2),
             'seq 2100, batch 1, checkpointing'),
            ('sample K=1', 'sample', replace(base, seq_len=FDM_PROMPT, new_tokens=N, k=1, streams=streams), f'{streams} streams'),
            ('sample K=8', 'sample', replace(base, seq_len=FDM_PROMPT, new_tokens=N, k=8, streams=streams), f'{streams} streams, one batch'),
            ('verifier scores K=8', 'score', replace(base, seq_len=IDM, batch_size=8, logit_tokens=ACTION + 2), f'{IDM} tokens each, one batch')]

ESTIMATE = dict(train=estimate_train, sample=estimate_sampling, score=estimate_scoring)

def top(e, n=3): return ', '.join(f'{k} {v/GiB:.2f}' for k, v in sorted(e.parts.items(), key=lambda kv: -kv[1])[:n])

def picks(e, task):
    p = e.plan
    if task == 'train': return f'{p.quant}, checkpointing {"on" if p.gradient_checkpointing else "off"}, batch {p.batch_size} x accum {p.grad_accum}'
    if task == 'sample': return f'{p.quant}, k {p.k} per call x {p.grad_accum} calls'
    return f'{p.quant}, {p.batch_size} candidates per batch x {p.grad_accum} batches'

def main():
    args = sys.argv[1:]
    budget = float(args[args.index('--budget')+1]) if '--budget' in args else 16.0
    rows, fits, details = [], [], []
    for model, (cfg, streams) in MODELS.items():
        for job, task, plan, setting in jobs(cfg, streams):
            e = ESTIMATE[task](plan)
            rows.append(f'| {model} | {job} | NF4, LoRA r=16, bf16, {setting} | {e.gib:.2f} | {e.phase} | '
                        f'{"yes" if e.gib <= budget else "no"} | {top(e)} |')
            details.append(f'## {model}: {job}\n{e}')
            try:
                f = fit(plan, budget, task)
                fits.append(f'| {model} | {job} | {picks(f, task)} | {f.gib:.2f} |')
                fn = fit(plan, budget, task, quants=(None, 'nf4'))
                if fn.plan != f.plan: fits.append(f'| {model} | {job} (no int8) | {picks(fn, task)} | {fn.gib:.2f} |')
            except BootwmError as err:
                fits.append(f'| {model} | {job} | nothing fits: {str(err).splitlines()[0].split("; ")[1].rstrip(":")} | - |')
    print(f'Estimated peak GPU memory (GiB = 2^30 bytes), budget {budget:g} GiB. Estimates, not measurements.\n')
    print('| model | job | setting | peak (GiB) | at | fits | largest parts (GiB) |\n|---|---|---|---|---|---|---|')
    print('\n'.join(rows))
    print(f'\n`fit(budget_gb={budget:g})` (preference: no quantisation, int8, NF4; checkpointing off, on; batch or K per call halved):\n')
    print('| model | job | picks | peak (GiB) |\n|---|---|---|---|')
    print('\n'.join(fits))
    print('\n```\n' + '\n\n'.join(details) + '\n```')

TINY = dict(hidden_size=128, intermediate_size=384, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4)

def check_model(name, cfg, tiny, dev):
    from transformers import ChameleonForConditionalGeneration, GemmaForCausalLM
    from peft import prepare_model_for_kbit_training, get_peft_model
    from bootwm.vlm import get_quantization_config, get_peft_config
    cham = cfg.model_type == 'chameleon'
    cls, keep = (ChameleonForConditionalGeneration, ('lm_head', 'vqmodel')) if cham else (GemmaForCausalLM, ('lm_head',))
    if cham: cfg.vocabulary_map = {}
    T = 300 if tiny else 2100
    d = tempfile.mkdtemp(prefix='bootwm-memcheck-')
    try:
        torch.manual_seed(0); torch.set_default_dtype(torch.bfloat16)
        try:
            with torch.device(dev): cls(cfg).save_pretrained(d)
        finally: torch.set_default_dtype(torch.float32)
        if dev == 'cuda': torch.cuda.empty_cache()
        m = cls.from_pretrained(d, quantization_config=get_quantization_config('nf4', torch.bfloat16, keep), dtype=torch.bfloat16,
                                device_map={'': 0} if dev == 'cuda' else None)
        m = prepare_model_for_kbit_training(m, use_gradient_checkpointing=True, gradient_checkpointing_kwargs=dict(use_reentrant=False))
        m = get_peft_model(m, get_peft_config(16)); m.train()
        g = torch.Generator().manual_seed(0)
        ids = torch.randint(10, cfg.vocab_size - 10, (1, T), generator=g)
        labels = ids.clone(); labels[:, :T - 1025] = -100
        b = {k: v.to(dev) for k, v in dict(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels,
                                            weights=(labels != -100).float()).items()}
        base = m.get_base_model()
        logits = lambda i, a: base.lm_head(base.model(input_ids=i, attention_mask=a).last_hidden_state)    # as ChameleonLM  # noqa: F821 (deleted below, after use)
        measured = measure_train_step(m, b, logits, autocast=torch.bfloat16)
        plan = MemoryPlan.from_model(m, precision='bf16', device=dev, seq_len=T, batch_size=1, gradient_checkpointing=True)
        est = estimate_train(plan)
        cmp = compare(est, measured)
        if dev == 'cuda':
            cmp['peak'] = (est.total - est.parts.get('CUDA context + allocator slack', 0), measured['peak'], measured['peak']/cmp['peak'][0])
            free, total = torch.cuda.mem_get_info()
            print(f'{name}: max reserved {torch.cuda.max_memory_reserved()/GiB:.2f} GiB, device used now {(total - free)/GiB:.2f} GiB, '
                  f'estimate with context + slack {est.gib:.2f} GiB')
        unit = 1e6 if tiny else GiB
        for part, (e, mm, r) in cmp.items(): print(f'| {name}{" (tiny)" if tiny else ""} | {part} | {e/unit:.3f} | {mm/unit:.3f} | {r:.3f} |', flush=True)
        del m, base
    finally:
        shutil.rmtree(d, ignore_errors=True)
        if dev == 'cuda': torch.cuda.empty_cache()

def check(tiny):
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    print(f'FDM QLoRA step on {torch.cuda.get_device_name() if dev == "cuda" else "CPU"} ({"tiny" if tiny else "full-size"} configs); '
          'peak = tensors allocated (CUDA context and allocator slack apart)\n')
    u = 'MB' if tiny else 'GiB'
    print(f'| model | part | estimated ({u}) | measured ({u}) | measured / estimated |\n|---|---|---|---|---|')
    for name, (cfg, _) in MODELS.items():
        if tiny:
            vq = dict(embed_dim=4, num_embeddings=16, latent_channels=4, resolution=16, base_channels=32, channel_multiplier=[1, 1], num_res_blocks=1)
            cfg = (ChameleonConfig(vocab_size=4096, vq_config=vq, **TINY) if cfg.model_type == 'chameleon'
                   else GemmaConfig(vocab_size=4096, head_dim=48, **TINY))
        check_model(name, cfg, tiny, dev)

if __name__ == '__main__':
    if '--check' in sys.argv: check('--tiny' in sys.argv)
    else: main()
