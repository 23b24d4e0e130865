"""Run a notebook that keeps its outputs (metadata `bootwm.keep_outputs`) top to bottom and write it back with them.

Usage: .venv/bin/python tools/outputs.py nbs/tutorials/tour.ipynb [more notebooks]   (then commit through nbdev-clean)"""
import os, sys, time
from pathlib import Path
os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
from execnb.shell import CaptureShell

def refresh(path):
    t = time.time(); path = Path(path).resolve()
    CaptureShell().execute(path, path, exc_stop=True)
    print(f'{path.name}: outputs refreshed in {time.time() - t:.0f} s')

if __name__ == '__main__':
    for p in sys.argv[1:]: refresh(p)
