"""Bootstrapping world models from dynamics models in unified vision-language models (Qiu et al. 2025)

Modules:

- `bootwm.actions`: What an IDM says about a pair of images: the action it writes (greedy decoding: annotation and IDM evaluation) and the likelihood it gives a stated action (the annotation score and the verifier of Eq. 3); and its forward counterpart, the likelihood an FDM gives a target image.
- `bootwm.baselines`: Every system on one harness: a system maps (source image, action) to a predicted next image, written as `images/<id>.png` plus `preds.jsonl` in a folder of its own, resumably. Copy, InstructPix2Pix-style diffusers pipelines (InstructPix2Pix, MagicBrush, AURORA) and bootwm world models.
- `bootwm.bootstrap`: Weak supervision from unlabelled pairs (paper Eq. 1): the IDM labels frame pairs, the labels are filtered by stratified top-k (Algorithm 1), and the kept pairs join the labelled data to train the FDM.
- `bootwm.cache`: Every image tokenized once: codes and the pre-quantisation features Eq. 2 needs, kept in sharded safetensors keyed by the image's content hash, in a folder named by the tokenizer's fingerprint.
- `bootwm.cli`: The `bootwm` command: one sub-command per job, each a fastcore `call_parse` function that a notebook can also call directly.
- `bootwm.datasets`: Loaders that read published data as-is (AURORA training data, AURORA-Bench as JSON or parquet, the kit's JSONL, plain CSV) into lists of `Transition`s, with one shared check and one error for bad rows.
- `bootwm.evaluate`: Grading world models and dynamics models: the toy world's oracle metrics (editing success ES, minimal editing ME, score = 10 min(ES, ME), exact match), the Copy baseline, and IDM text metrics.
- `bootwm.families`: The two model families of the paper behind `UnifiedVLM`: Anole/Chameleon-7B and Liquid-7B, one `Backend` each, their tiny random-weight twins for tests, and `load_vlm`, the one loader for a local checkpoint.
- `bootwm.generate`: One constrained decoding loop for both dynamics models: exactly `n` image codes for the FDM, text up to `<eos>` for the IDM; batched, with each prompt computed once, stored once and read once per step by all K samples.
- `bootwm.human`: Human evaluation as in the paper: annotators see the source, the action and every system's output, anonymised and shuffled, and pick the best and the worst; votes go to JSONL as they are cast; each system scores +1 (best) / -1 (worst) / 0 per ballot, and a Wilcoxon signed-rank test compares it with a reference.
- `bootwm.importance`: Recognition weights (paper Eq. 2): which target image tokens the world model should learn from, and how those weights are normalised; the batches and the weighted loss that use them.
- `bootwm.judge`: The LLM judge of the paper's evaluation: a source image, the action and an edited image go to any OpenAI-compatible chat-completions endpoint, which returns editing success (ES) and minimal editing (ME), 0-10; the item scores `min(ES, ME)`. Cached on disk, retried, bounded, tallied, and never silently 0.
- `bootwm.judge_runs`: The judge over a whole benchmark: items from the benchmark and each system's predictions, verdicts appended to a JSONL as they come, `max_in_flight` at a time, a rerun resuming where the last one stopped, and the means per system or subset with failures counted apart.
- `bootwm.keyframes`: Videos to unlabelled pairs: optical flow scores each frame's motion, the top `K_f` frames at least `I_f` apart are key-frames, and consecutive key-frames form a pair `(o_s, o_t)` (paper §3).
- `bootwm.measure`: Memory measured on a CPU (profiler allocation events, saved-tensor hooks, distinct storages) for one training step, a sampling call or a scoring call, lined up against `bootwm.memory`'s estimates.
- `bootwm.memory`: A GPU memory planner: from a model's config and a run's settings (quantisation, LoRA, sequence length, batch, gradient checkpointing), the peak memory of a training step, of K-candidate sampling and of verifier scoring; `fit` picks settings that fit a budget, `warn_if_too_big` warns before a run that will not.
- `bootwm.metrics`: Reference-based metrics for world models and dynamics models: L1, CLIP-I, CLIP-T and DINO for predicted images, BLEU, ROUGE-1/L and BERTScore for predicted actions, per item and per benchmark subset.
- `bootwm.probes`: Zero-shot probes (paper §2): how often a model gives a real trajectory a higher likelihood than a negative one -- random action, random target, copied source, swapped source/target -- scored as forward (FDP) and as inverse (IDP) prediction.
- `bootwm.report`: `bootwm eval`: every system's predictions on one benchmark, graded by the judge, the image metrics and (on the toy world) the oracle, in one per-subset table in the paper's shape, with plots and a gallery, as markdown and HTML.
- `bootwm.rubric`: What the LLM judge is asked and how its reply is read: the prompt (the kit's own, or the paper's from a file, with one `{instruction}` slot) and a strict parser that turns a reply into editing success (ES), minimal editing (ME) and `min(ES, ME)`, or says why it cannot.
- `bootwm.search`: Verification at inference (paper Eq. 3): sample K candidate next images from the FDM as one batch, score each with the IDM's likelihood of the given action as one batch, keep the best.
- `bootwm.shard`: Past one GPU: annotation, key-frames and system runs split across the processes of `accelerate launch`, each process writing a shard of its own, merged into the one output file in input order, exactly once.
- `bootwm.tokenizers`: The image tokenizer interface (pixels <-> codes, plus the pre-quantisation features Eq. 2 needs) and the exact grid tokenizer of the toy world.
- `bootwm.toyworld`: A built-in world with exact ground truth: seeded scenes of unique objects, language actions with paraphrases and a parser back to the canonical action, a renderer, "videos", and the oracle.
- `bootwm.train`: Datasets of IDM and FDM examples and the training glue: hooks on transformers' `Trainer`, no loop of our own, with Eq. 2's weighted loss (`bootwm.importance`) as the one hook.
- `bootwm.vlm`: `UnifiedVLM`: a causal LM, a text tokenizer and an image tokenizer as one object, with the IDM and FDM sequence templates, saved and loaded as one directory, with LoRA and 4-bit QLoRA as options.
- `bootwm.vqgan`: The Chameleon VQGAN image tokenizer (shared by Anole and Liquid) on diffusers' `VQModel`, behind the `ImageTokenizer` interface: 512 px -> 32x32 = 1024 codes from 8192, and back."""

__version__ = "0.1.0"
