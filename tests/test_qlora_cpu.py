"""4-bit QLoRA on every CPU: an evaluation pass never changes what a training step computes.

On CPUs with AVX512-BF16, bitsandbytes repacks a 4-bit weight for a bf16 inference kernel the first time its layer
runs in eval mode without gradient; backprop through the repacked layer gives no input gradient. bootwm turns the
repack off (`bootwm.vlm.no_cpu_repack`). The tests that need such a CPU to reach the repack say so when skipped;
the guard itself is tested everywhere (the repack is plain torch, so a test can apply it by hand)."""
import subprocess, sys
import pytest, torch
bnb = pytest.importorskip('bitsandbytes')
from bitsandbytes.functional import has_avx512bf16, _convert_weight_packed_for_cpu
from bootwm.families import load_vlm
from bootwm.train import DynamicsTrainer, make_examples, training_args, TrainConfig
from bootwm.importance import collate
from bootwm.vlm import no_cpu_repack, _cpu_packed
from family_util import dequantised, data, base   # noqa: F401 (fixtures)

AVX512_BF16 = has_avx512bf16()
needs_repack_cpu = pytest.mark.skipif(not AVX512_BF16, reason='this CPU has no AVX512-BF16, so bitsandbytes never '
                                      'repacks 4-bit weights here: the repack path cannot be reached')

def linear4bit(n_in=128, n_out=256, seed=0):
    torch.manual_seed(seed); lin = torch.nn.Linear(n_in, n_out, bias=False)
    q = bnb.nn.Linear4bit(n_in, n_out, bias=False, compute_dtype=torch.float32, quant_type='nf4')
    q.load_state_dict(lin.state_dict()); return q.to('cpu')

def input_grad(layer, x):
    layer.train(); x = x.clone().requires_grad_(); layer(x).sum().backward(); return x.grad

def layers4(model): return [m for m in model.modules() if hasattr(m, 'support_avx512bf16_for_cpu')]

@needs_repack_cpu
def test_an_unguarded_layer_is_repacked_by_an_eval_pass():
    "The hazard is real on this CPU: without the guard, one no-grad eval pass repacks the layer"
    q = linear4bit().eval()
    with torch.no_grad(): q(torch.randn(2, 128))
    assert _cpu_packed(q)

def test_guarded_layer_stays_trainable_after_an_eval_pass():
    q = linear4bit(); test_n = no_cpu_repack(q); q.eval()
    assert test_n == 1 and not q.support_avx512bf16_for_cpu
    x = torch.randn(4, 128)
    with torch.no_grad(): y = q(x)
    assert not _cpu_packed(q)
    w = dequantised(q.weight)
    torch.testing.assert_close(y, x @ w.T)                      # fp32: dequantise, then an fp32 matmul
    torch.testing.assert_close(input_grad(q, x), torch.ones(4, 256) @ w)

def test_guard_unpacks_a_repacked_layer():
    "A layer repacked before bootwm saw it is unpacked, with a warning, and trains with a correct input gradient"
    q = linear4bit(); w0 = dequantised(q.weight)
    q.weight.data, q.weight.quant_state = _convert_weight_packed_for_cpu(q.weight.data, q.weight.quant_state)
    with pytest.warns(UserWarning, match='unpacked'): no_cpu_repack(torch.nn.Sequential(q))
    assert not _cpu_packed(q)
    w = dequantised(q.weight)
    assert ((w - w0).abs() <= 0.01 * w0.abs()).all()             # bf16 scales, re-quantised to 8 bits: < 1%
    torch.testing.assert_close(input_grad(q, torch.randn(3, 128)), torch.ones(3, 256) @ w)

def _qlora(base):
    _, path, itok = base
    torch.manual_seed(0)
    vlm = load_vlm(path, image_tokenizer=itok, quant='nf4', dtype='float32', lora=dict(lora_r=4, lora_dropout=0.0))
    for n, p in vlm.model.named_parameters():
        if 'lora_B' in n: torch.nn.init.normal_(p, std=0.1)       # B starts at 0: make every adapter's gradient non-zero
    return vlm

def _lora_grads(vlm, batch, tmp_path, eval_first:bool):
    if eval_first:                                                # what an eval callback, a probe or scoring does
        vlm.model.eval()
        with torch.no_grad(): vlm.logits(batch['input_ids'], batch['attention_mask'])
    trainer = DynamicsTrainer(vlm, args=training_args(TrainConfig(steps=1), tmp_path, progress=False))
    vlm.model.train(); vlm.model.zero_grad()
    trainer.compute_loss(vlm.model, dict(batch)).backward()
    return {n: p.grad.clone() for n, p in vlm.model.named_parameters() if 'lora_' in n}

@pytest.mark.parametrize('task', ['idm', 'fdm'])
def test_eval_pass_then_training_step_gives_the_same_lora_grads(base, data, task, tmp_path):
    root, rows = data
    fresh = _qlora(base)
    batch = collate(make_examples(fresh, rows[:4], root, task), fresh.sp['pad'])
    want = _lora_grads(fresh, batch, tmp_path/'a', eval_first=False)
    vlm = _qlora(base)
    got = _lora_grads(vlm, batch, tmp_path/'b', eval_first=True)
    assert not any(_cpu_packed(m) for m in layers4(vlm.model)) and layers4(vlm.model)
    assert want.keys() == got.keys() and all(g.abs().sum() > 0 for g in want.values())
    for n in want: torch.testing.assert_close(got[n], want[n], rtol=0, atol=0, msg=n)
    # and a 4-bit layer inside the model gives its input the gradient its dequantised weight gives
    layer = layers4(vlm.model)[0]
    x = torch.randn(3, layer.in_features)
    torch.testing.assert_close(input_grad(layer, x), torch.ones(3, layer.out_features) @ dequantised(layer.weight))

def test_no_bitsandbytes_message_on_import():
    "transformers imports peft, which imports bitsandbytes: its note about the optional `kernels` package stays out"
    code = 'import bootwm.train, bootwm.cli'
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert 'kernels' not in r.stderr + r.stdout and 'gemm_4bit' not in r.stderr + r.stdout, r.stderr
