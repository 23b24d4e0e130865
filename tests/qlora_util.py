"Helpers for tests of 4-bit models: weights as values, not as storage bytes"
import torch

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
