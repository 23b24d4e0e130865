"Run by tests/test_distributed.py under `accelerate launch`: bootwm's own `train`, unchanged; every rank then saves its LoRA weights."
import json, os, sys
from safetensors.torch import save_file
from bootwm.core import read_manifest
from bootwm.train import TrainConfig, train
from bootwm.vlm import tiny_vlm

root, out = sys.argv[1], sys.argv[2]
vlm = tiny_vlm(seed=0)
cfg = TrainConfig(task='fdm', steps=6, batch_size=4, lr=1e-2, lora_r=4, lora_dropout=0.0, log_every=1)
res = train(vlm, read_manifest(f'{root}/labelled.jsonl'), root, cfg, output_dir=f'{out}/run', progress=False)
rank = int(os.environ.get('RANK', 0))
save_file({n: p.detach().contiguous() for n, p in vlm.model.named_parameters() if 'lora_' in n}, f'{out}/rank{rank}.safetensors')
import torch.distributed as dist
info = dict(world_size=int(os.environ.get('WORLD_SIZE', 1)), backend=dist.get_backend() if dist.is_initialized() else None,
            losses=[h['loss'] for h in res.history if 'loss' in h])
open(f'{out}/rank{rank}.json', 'w').write(json.dumps(info))
