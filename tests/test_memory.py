"""The memory planner against measurements on tiny models (CPU): weights, optimizer states and saved activations
to within 2%, step / sampling / scoring peaks to within 12%, across quantisation, precision, checkpointing,
attention and model families; plus `fit`, `warn_if_too_big` and the plan's validation."""
import warnings
from dataclasses import replace
import pytest, torch
from transformers import ChameleonConfig, GemmaConfig, LlamaConfig
from bootwm.core import BootwmError
from bootwm.memory import (MemoryPlan, MemoryBudgetWarning, param_counts, meta_param_counts, estimate_train,
                           estimate_sampling, estimate_scoring, fit, candidates, warn_if_too_big, activation_bytes)
from bootwm.measure import held_bytes, peak_bytes, measure_train_step, compare
from bootwm.generate import generate
from bootwm.actions import score_actions
from bootwm.toyworld import WorldConfig
from bootwm.importance import collate, label_tail
from bootwm.vlm import UnifiedVLM, tiny_vlm, get_quantization_config

EXACT, PEAK = 0.02, 0.12      # tolerances: parts we count exactly; peaks (allocator timing, conservative gradients)
DTYPES = dict(fp32=torch.float32, bf16=torch.bfloat16)

def check(cmp):
    for part, (e, m, r) in cmp.items():
        tol = PEAK if part == 'peak' else EXACT
        assert abs(r - 1) < tol, f'{part}: estimated {e/1e6:.3f} MB, measured {m/1e6:.3f} MB (x{r:.3f})'

@pytest.fixture(scope='module', autouse=True)
def one_thread():
    "One torch thread: on a shared 2-core box, two spinning threads slow these tests several times over"
    n = torch.get_num_threads(); torch.set_num_threads(1); yield; torch.set_num_threads(n)

def _tiny(root, grid):
    "A tiny Llama VLM (width 128, 3 layers, 4 heads) with its vocabulary padded to 2048, saved under `root`"
    vlm = tiny_vlm(WorldConfig(grid=grid), hidden=128, layers=3, heads=4)
    vlm.model.resize_token_embeddings(2048, mean_resizing=False)
    return vlm.save_pretrained(root/'vlm')

@pytest.fixture(scope='module')
def tiny_dir(tmp_path_factory): return _tiny(tmp_path_factory.mktemp('tiny'), grid=12)     # FDM sequences of 298 tokens

def fdm_batch(vlm, n=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    codes = lambda: torch.randint(0, vlm.image_tokenizer.n_codes, (vlm.n_tokens,), generator=g)
    return collate([vlm.fdm_example(codes(), 'move the red circle up', codes()) for _ in range(n)], vlm.sp['pad'])

SETTINGS = [   # quant, dtype, checkpointing, lora_r, attn
    ('nf4', 'fp32', False, 8, 'sdpa'), ('nf4', 'fp32', True, 8, 'sdpa'), ('nf4', 'fp32', False, 8, 'eager'),
    ('nf4', 'fp32', True, 8, 'eager'), ('nf4', 'bf16', False, 8, 'sdpa'), ('nf4', 'bf16', True, 8, 'sdpa'),
    (None, 'bf16', False, 8, 'sdpa'), (None, 'bf16', True, 8, 'sdpa'), (None, 'fp32', False, 0, 'sdpa'),
    ('int8', 'fp32', False, 8, 'sdpa')]

@pytest.mark.parametrize('quant,dtype,ck,r,attn', SETTINGS)
def test_train_step_matches_estimate(tiny_dir, quant, dtype, ck, r, attn):
    torch.manual_seed(0)
    q = UnifiedVLM.from_pretrained(tiny_dir, quant=quant, dtype=DTYPES[dtype])
    q.model.set_attn_implementation(attn)
    if r: q.add_lora(lora_r=r, gradient_checkpointing=ck)
    if ck and not quant: q.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=dict(use_reentrant=False))
    q.model.train()
    b = fdm_batch(q)
    plan = MemoryPlan.from_model(q.model, precision=dtype, device='cpu', seq_len=b['input_ids'].shape[1], batch_size=2, gradient_checkpointing=ck)
    assert (plan.quant, plan.lora_r, plan.attn) == (quant, r, attn)
    m = measure_train_step(q.model, b, q.logits, autocast=torch.bfloat16 if dtype == 'bf16' else None)
    check(compare(estimate_train(plan), m))

@pytest.mark.parametrize('ck', [False, True])
def test_train_step_with_tail_logits_matches_estimate(tiny_dir, ck):
    "bootwm's trainer asks for the labelled tail's logits only (`label_tail`); the planner's `logit_tokens` follows"
    torch.manual_seed(0)
    q = UnifiedVLM.from_pretrained(tiny_dir, quant='nf4', dtype=torch.float32).add_lora(lora_r=8, gradient_checkpointing=ck)
    q.model.train()
    b = fdm_batch(q); keep = label_tail(b['labels'])
    plan = MemoryPlan.from_model(q.model, precision='fp32', device='cpu', seq_len=b['input_ids'].shape[1], batch_size=2,
                                 gradient_checkpointing=ck, logit_tokens=keep)
    m = measure_train_step(q.model, b, lambda ids, mask: q.logits(ids, mask, logits_to_keep=keep))
    cmp = compare(estimate_train(plan), m)
    assert abs(cmp['saved'][2] - 1) < 0.03 and abs(cmp['peak'][2] - 1) < PEAK, cmp   # the tail's saved bytes: within 3%
    assert estimate_train(plan).total < estimate_train(replace(plan, logit_tokens=0)).total

def _family(kind, tmp_path):
    "A tiny Gemma (GQA, head_dim != hidden/heads, tied head, GELU) or Chameleon (q/k norms, VQ encoder) in NF4 + LoRA"
    from transformers import GemmaForCausalLM, ChameleonForConditionalGeneration
    from peft import prepare_model_for_kbit_training, get_peft_model
    from bootwm.vlm import get_peft_config
    kw = dict(vocab_size=2048, hidden_size=128, intermediate_size=384, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2)
    if kind == 'gemma': cfg, cls, keep = GemmaConfig(**kw, head_dim=48), GemmaForCausalLM, ('lm_head',)
    else:
        vq = dict(embed_dim=4, num_embeddings=16, latent_channels=4, resolution=16, base_channels=32, channel_multiplier=[1, 1], num_res_blocks=1)
        cfg, cls, keep = ChameleonConfig(**kw, vq_config=vq, vocabulary_map={'<image>': 2047}), ChameleonForConditionalGeneration, ('lm_head', 'vqmodel')
    torch.manual_seed(0)
    cls(cfg).save_pretrained(tmp_path/kind)
    m = cls.from_pretrained(tmp_path/kind, quantization_config=get_quantization_config('nf4', torch.float32, keep), dtype=torch.float32)
    return cfg, m, prepare_model_for_kbit_training, get_peft_model, get_peft_config

@pytest.mark.parametrize('kind', ['gemma', 'chameleon'])
@pytest.mark.parametrize('ck', [False, True])
def test_families_match_estimate(kind, ck, tmp_path):
    cfg, m, prepare, get_peft_model, get_peft_config = _family(kind, tmp_path)
    m = get_peft_model(prepare(m, use_gradient_checkpointing=ck), get_peft_config(8)); m.train()
    ids = torch.randint(10, 2000, (2, 300), generator=torch.Generator().manual_seed(0))
    b = dict(input_ids=ids, attention_mask=torch.ones_like(ids), labels=ids.clone())
    inner = m.get_base_model().model
    logits = lambda i, a: m.get_base_model().lm_head(inner(input_ids=i, attention_mask=a).last_hidden_state)   # as bootwm's ChameleonLM
    plan = MemoryPlan.from_model(m, precision='fp32', device='cpu', seq_len=300, batch_size=2, gradient_checkpointing=ck)
    assert plan.qk_norm == (kind == 'chameleon') and plan.tie_word_embeddings == (kind == 'gemma') and plan.head_dim == (48 if kind == 'gemma' else 32)
    check(compare(estimate_train(plan), measure_train_step(m, b, logits)))

@pytest.fixture(scope='module')
def nf4_vlm(tmp_path_factory):
    "For sampling: an 8 x 8 world (64 tokens an image, so 64 decoding steps), loaded in NF4"
    return UnifiedVLM.from_pretrained(_tiny(tmp_path_factory.mktemp('small'), grid=8), quant='nf4', dtype=torch.float32)

@pytest.mark.parametrize('k,text_scale,image_scale,share', [(1, None, None, True), (4, 3.0, 1.2, True), (8, 7.0, None, True),
                                                          (8, 3.0, 1.2, False), (4, 7.0, None, False)])
def test_sampling_matches_estimate(nf4_vlm, k, text_scale, image_scale, share):
    "Both KV layouts of `bootwm.generate`: the prompt's cache shared by the K samples (default) or copied K times"
    q, g = nf4_vlm, torch.Generator().manual_seed(0)
    srcs = torch.randint(0, q.image_tokenizer.n_codes, (2, q.n_tokens), generator=g)
    acts = ['move the red circle up', 'remove the blue cross']
    prompts = [q.fdm_example(s, a)['input_ids'] for s, a in zip(srcs, acts)]
    gd = q.fdm_guidance(srcs, acts, text_scale, image_scale) if text_scale else None
    _, peak = peak_bytes(lambda: generate(q, prompts, q.n_tokens, allowed=q.image_mask, k=k, guidance=gd, generator=g, share=share))
    streams = 1 if text_scale is None else 2 if image_scale is None else 3
    Tp = max(map(len, prompts))                                    # streams are left-padded to the longest
    plan = MemoryPlan.from_model(q.model, precision='fp32', device='cpu', seq_len=Tp, batch_size=2, new_tokens=q.n_tokens, k=k,
                                 streams=streams, shared_prompt=share)
    e = estimate_sampling(plan)
    assert abs((held_bytes(q.model) + peak)/e.total - 1) < PEAK, (e, held_bytes(q.model) + peak)

@pytest.mark.parametrize('n', [1, 8])
def test_scoring_matches_estimate(nf4_vlm, n):
    q, g = nf4_vlm, torch.Generator().manual_seed(1)
    srcs, tgts = (torch.randint(0, q.image_tokenizer.n_codes, (n, q.n_tokens), generator=g) for _ in range(2))
    _, peak = peak_bytes(lambda: score_actions(q, srcs, tgts, ['move the red circle up']*n))
    ex = collate([q.idm_example(srcs[0], tgts[0], 'move the red circle up')], q.sp['pad'])
    e = estimate_scoring(MemoryPlan.from_model(q.model, precision='fp32', device='cpu', seq_len=ex['input_ids'].shape[1],
                                               logit_tokens=label_tail(ex['labels']), batch_size=n))
    assert abs((held_bytes(q.model) + peak)/e.total - 1) < PEAK, (e, held_bytes(q.model) + peak)

def test_param_counts_match_meta_models():
    for cfg, n in [(ChameleonConfig(vocabulary_map={}), None), (GemmaConfig(vocab_size=264192), 8_562_846_720),
                   (LlamaConfig(num_key_value_heads=8), None)]:
        plan = MemoryPlan.from_config(cfg)
        assert param_counts(plan) == meta_param_counts(cfg)
        if n: assert sum(param_counts(plan).values()) == n

@pytest.fixture
def anole(): return MemoryPlan.from_config(ChameleonConfig())

def test_fit_prefers_precision_then_no_checkpointing_and_keeps_the_step(anole):
    e = fit(replace(anole, batch_size=8, grad_accum=2), budget_gb=80)
    assert (e.plan.quant, e.plan.gradient_checkpointing, e.plan.batch_size, e.plan.grad_accum) == (None, False, 2, 8)   # bf16 fits 80 GiB at batch 2
    assert e.gib <= 80 and estimate_train(replace(e.plan, batch_size=4, grad_accum=4)).gib > 80
    e16 = fit(anole, 16)
    assert e16.gib <= 16 and e16.plan.quant in ('int8', 'nf4')
    for c in candidates(replace(anole, batch_size=8, grad_accum=2)): assert c.batch_size * c.grad_accum == 16
    with pytest.raises(BootwmError, match='nothing fits 1 GiB'): fit(anole, 1)
    with pytest.raises(BootwmError, match="task='decode'"): fit(anole, 16, task='decode')
    s = fit(replace(anole, seq_len=1040, k=8, streams=3), 16, task='sample')
    assert s.plan.k * s.plan.grad_accum == 8 and s.gib <= 16

def test_estimates_grow_with_what_they_should(anole):
    t = estimate_train(anole)
    assert estimate_train(replace(anole, seq_len=4200)).total > t.total
    assert estimate_train(replace(anole, gradient_checkpointing=False)).total > 3*t.total
    assert activation_bytes(replace(anole, attn='eager', gradient_checkpointing=False))['body'] > activation_bytes(replace(anole, gradient_checkpointing=False))['body']
    assert estimate_train(replace(anole, quant=None)).total > estimate_train(replace(anole, quant='int8')).total > t.total
    k1, k8 = (estimate_sampling(replace(anole, seq_len=1040, k=k, streams=3, shared_prompt=False)) for k in (1, 8))
    assert k8.parts['KV cache'] == 8 * k1.parts['KV cache']                          # copied: the prompt's cache K times
    s8 = estimate_sampling(replace(anole, seq_len=1040, k=8, streams=3))
    assert s8.parts['KV cache'] < 0.6 * k8.parts['KV cache']                         # shared: once, plus the samples' own
    assert estimate_sampling(replace(anole, seq_len=1040, k=8, streams=3, attn='flash')).total == k8.total   # flash copies
    assert estimate_scoring(replace(anole, seq_len=2064, batch_size=8)).total < estimate_scoring(replace(anole, seq_len=2064, batch_size=8, score_cache=True)).total
    assert estimate_train(replace(anole, logit_tokens=1026)).total < estimate_train(anole).total

def test_warn_if_too_big(anole):
    e = estimate_train(anole)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        assert warn_if_too_big(e, budget_gb=64) is True
        assert warn_if_too_big(e, budget_gb=4) is False
        if not torch.cuda.is_available(): assert warn_if_too_big(e) is True     # no budget, no GPU: nothing to compare
    assert len(w) == 1 and w[0].category is MemoryBudgetWarning
    assert f'estimated peak {e.gib:.2f} GiB exceeds the budget of 4.00 GiB' in str(w[0].message)
    with pytest.raises(BootwmError, match='exceeds the budget of 4.00 GiB'): warn_if_too_big(e, budget_gb=4, error=True)

@pytest.mark.parametrize('bad,msg', [(dict(quant='fp4'), "quant='fp4'"), (dict(precision='fp8'), "precision='fp8'"), (dict(batch_size=0), 'batch_size=0'),
                                      (dict(attn='flex'), "attn='flex'"), (dict(lora_targets=('qkv',)), "['qkv']"),
                                      (dict(lora_dropout=1.0), 'lora_dropout=1.0'), (dict(num_key_value_heads=5), 'num_key_value_heads=5')])
def test_plan_validation_names_the_bad_value(anole, bad, msg):
    with pytest.raises(BootwmError, match=msg.replace('[', r'\[').replace(']', r'\]')): replace(anole, **bad)
