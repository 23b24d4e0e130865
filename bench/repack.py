"""What bootwm gives up by turning off bitsandbytes' CPU repack of 4-bit weights (AVX512-BF16 CPUs only).

bootwm keeps every 4-bit layer in the trainable layout (`bootwm.vlm.no_cpu_repack`), so no-grad inference on CPU runs
bitsandbytes' default path (dequantise, then an fp32 matmul) instead of the bf16 kernel of the repacked layout.
This times one 4096x4096 NF4 linear (a 7B model's attention projection) both ways, for 1 token (decoding) and 64
tokens (a prompt chunk), and reports how far the bf16 kernel's outputs are from the fp32 path.

Usage: .venv/bin/python bench/repack.py   (prints one JSON line per batch size; says so when this CPU cannot repack)"""
import json, time, torch
from bootwm.vlm import no_cpu_repack          # first: bootwm keeps bitsandbytes' note about `kernels` out
import bitsandbytes as bnb
from bitsandbytes.functional import has_avx512bf16, dequantize_4bit

def layer(n=4096, seed=0):
    torch.manual_seed(seed); lin = torch.nn.Linear(n, n, bias=False)
    q = bnb.nn.Linear4bit(n, n, bias=False, compute_dtype=torch.float32, quant_type='nf4')
    q.load_state_dict(lin.state_dict()); return q.to('cpu').eval()

def timed(q, x, reps=20):
    with torch.no_grad():
        y = q(x); t = time.perf_counter()
        for _ in range(reps): q(x)
    return y, (time.perf_counter() - t) / reps

if __name__ == '__main__':
    if not has_avx512bf16(): print(json.dumps(dict(note='no AVX512-BF16 on this CPU: bitsandbytes never repacks here'))); raise SystemExit
    for tokens in (1, 64):
        x = torch.randn(tokens, 4096)
        guarded = layer(); no_cpu_repack(guarded)
        y_fp32, t_fp32 = timed(guarded, x)
        y_bf16, t_bf16 = timed(layer(), x)          # the first call repacks
        w = dequantize_4bit(guarded.weight.data, guarded.weight.quant_state)
        print(json.dumps(dict(tokens=tokens, threads=torch.get_num_threads(), fp32_ms=round(t_fp32*1e3, 2),
                              repacked_bf16_ms=round(t_bf16*1e3, 2), speedup=round(t_fp32/t_bf16, 2),
                              fp32_max_err=float((y_fp32 - x @ w.T).abs().max()),
                              bf16_max_rel_err=float(((y_bf16 - y_fp32).abs().max() / y_fp32.abs().max())))), flush=True)
