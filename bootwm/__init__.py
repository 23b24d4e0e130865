"""Bootstrapping world models from dynamics models in unified vision-language models (Qiu et al. 2025)

Modules:

- `bootwm.bootstrap`: Weak supervision from unlabelled pairs (paper Eq. 1): the IDM labels frame pairs, the labels are filtered by stratified top-k (Algorithm 1), and the kept pairs join the labelled data to train the FDM.
- `bootwm.cache`: Every image tokenized once: codes and the pre-quantisation features Eq. 2 needs, kept in sharded safetensors keyed by the image's content hash, in a folder named by the tokenizer's fingerprint.
- `bootwm.cli`: The `bootwm` command: one sub-command per job, each a fastcore `call_parse` function that a notebook can also call directly.
- `bootwm.datasets`: Loaders that read published data as-is (AURORA training data, AURORA-Bench as JSON or parquet, the kit's JSONL, plain CSV) into lists of `Transition`s, with one shared check and one error for bad rows.
- `bootwm.evaluate`: Grading world models and dynamics models: the toy world's oracle metrics (editing success ES, minimal editing ME, score = 10 min(ES, ME), exact match), the Copy baseline, and IDM text metrics.
- `bootwm.generate`: One constrained decoding loop for both dynamics models: exactly `n` image codes for the FDM, text up to `<eos>` for the IDM; batched, with the prompt prefix computed once and shared by K samples (KV cache).
- `bootwm.importance`: Recognition weights (paper Eq. 2): which target image tokens the world model should learn from, and how those weights are normalised.
- `bootwm.keyframes`: Videos to unlabelled pairs: optical flow scores each frame's motion, the top `K_f` frames at least `I_f` apart are key-frames, and consecutive key-frames form a pair `(o_s, o_t)` (DESIGN §1, paper §3).
- `bootwm.search`: Verification at inference (paper Eq. 3): sample K candidate next images from the FDM as one batch, score each with the IDM's likelihood of the given action as one batch, keep the best.
- `bootwm.tokenizers`: The image tokenizer interface (pixels <-> codes, plus the pre-quantisation features Eq. 2 needs) and the exact grid tokenizer of the toy world.
- `bootwm.toyworld`: A built-in world with exact ground truth: seeded scenes of unique objects, language actions with paraphrases and a parser back to the canonical action, a renderer, "videos", and the oracle.
- `bootwm.train`: Datasets of IDM and FDM examples, a collator with label masks and weights, the weighted loss of Eq. 2, and the training glue: hooks on transformers' `Trainer`, no loop of our own.
- `bootwm.vlm`: `UnifiedVLM`: a causal LM, a text tokenizer and an image tokenizer as one object, with the IDM and FDM sequence templates, saved and loaded as one directory, with LoRA and 4-bit QLoRA as options.
- `bootwm.vqgan`: The Chameleon VQGAN image tokenizer (shared by Anole and Liquid) on diffusers' `VQModel`, behind the `ImageTokenizer` interface: 512 px -> 32x32 = 1024 codes from 8192, and back."""

__version__ = "0.1.0"
