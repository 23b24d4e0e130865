"Training runs unchanged under `accelerate launch`: 2 CPU processes (gloo DDP) end with identical adapter weights."
import json, os, subprocess, sys
from pathlib import Path
import torch
from safetensors.torch import load_file
from bootwm.toyworld import write_dataset

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT/'configs'/'accelerate'

def test_shipped_accelerate_configs_parse():
    from accelerate.commands.config.config_args import load_config_from_file
    kinds = {p.stem: load_config_from_file(str(p)).distributed_type for p in sorted(CONFIGS.glob('*.yaml'))}
    assert {k: str(v).split('.')[-1] for k, v in kinds.items()} == dict(ddp='MULTI_GPU', fsdp='FSDP', deepspeed_zero2='DEEPSPEED', multinode='MULTI_GPU')

def test_two_process_ddp_gives_identical_adapters(tmp_path):
    write_dataset(tmp_path/'w', n_labelled=32, n_videos=2, video_len=2, n_test=4)
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'HF_HUB_OFFLINE': '1'}
    cmd = [str(Path(sys.executable).parent/'accelerate'), 'launch', '--config_file', str(CONFIGS/'ddp.yaml'), '--num_processes', '2',
           str(ROOT/'tests'/'dist_train.py'), str(tmp_path/'w'), str(tmp_path/'out')]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    infos = [json.loads((tmp_path/f'out/rank{i}.json').read_text()) for i in (0, 1)]
    assert all(i['world_size'] == 2 and i['backend'] == 'gloo' for i in infos)
    assert infos[0]['losses'][-1] < infos[0]['losses'][0]
    w0, w1 = (load_file(tmp_path/f'out/rank{i}.safetensors') for i in (0, 1))
    assert w0.keys() == w1.keys() and any('lora_B' in k for k in w0)
    assert all(torch.equal(w0[k], w1[k]) for k in w0)
    assert all(w0[k].abs().sum() > 0 for k in w0 if 'lora_B' in k)      # trained, not left at zero init
