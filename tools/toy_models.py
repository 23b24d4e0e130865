"""Train the toy IDM and FDM that bootwm ships (`bootwm.toymodels`, recipe `ToyModelsConfig`) and save them.

Usage: .venv/bin/python tools/toy_models.py bootwm/assets --overwrite     (about two minutes on one CPU core)"""
import argparse, json, os
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import torch
from bootwm.toymodels import train_toy_models, ToyModelsConfig

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out', help='folder to write toy-idm/ and toy-fdm/ into')
    p.add_argument('--overwrite', action='store_true', help='replace a pair already there')
    a = p.parse_args()
    torch.set_num_threads(1)             # one thread: as fast as two for a model this small, and kinder to a shared machine
    print(json.dumps(train_toy_models(a.out, ToyModelsConfig(), overwrite=a.overwrite, progress=False), indent=2))
