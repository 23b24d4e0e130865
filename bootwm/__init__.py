"""Bootstrapping world models from dynamics models in unified vision-language models (Qiu et al. 2025)

Modules:

- `bootwm.tokenizers`: The image tokenizer interface (pixels <-> codes, plus the pre-quantisation features Eq. 2 needs) and the exact grid tokenizer of the toy world.
- `bootwm.toyworld`: A built-in world with exact ground truth: seeded scenes of unique objects, language actions with paraphrases and a parser back to the canonical action, a renderer, "videos", and the oracle.
- `bootwm.vlm`: `UnifiedVLM`: a causal LM, a text tokenizer and an image tokenizer as one object, with the IDM and FDM sequence templates, saved and loaded as one directory, with LoRA and 4-bit QLoRA as options."""

__version__ = "0.1.0"
