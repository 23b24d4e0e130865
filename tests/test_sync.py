"The library is the notebooks' export, notebooks are committed clean, and README.md is index.ipynb."
import shutil, subprocess, sys, json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

def _copy(tmp):
    for p in ('nbs', 'bootwm'): shutil.copytree(ROOT/p, tmp/p)
    for p in ('pyproject.toml', 'README.md'): shutil.copy(ROOT/p, tmp/p)
    return tmp

def _files(d): return {p.relative_to(d): p.read_bytes() for p in sorted(d.rglob('*')) if p.is_file() and '__pycache__' not in p.parts}

def test_export_leaves_no_diff(tmp_path):
    tmp = _copy(tmp_path)
    subprocess.run([str(BIN/'nbdev-export')], cwd=tmp, check=True, capture_output=True)
    assert _files(tmp/'bootwm') == _files(ROOT/'bootwm'), 'run nbdev-export and commit bootwm/'

def test_notebooks_are_clean(tmp_path):
    tmp = _copy(tmp_path)
    subprocess.run([str(BIN/'nbdev-clean')], cwd=tmp, check=True, capture_output=True)
    assert _files(tmp/'nbs') == _files(ROOT/'nbs'), 'run nbdev-clean and commit nbs/'
    for nb in (ROOT/'nbs').rglob('*.ipynb'):               # outputs only where a notebook says it keeps them
        d = json.loads(nb.read_text())
        if d.get('metadata', {}).get('bootwm', {}).get('keep_outputs'): continue
        assert all(not c.get('outputs') for c in d['cells']), f'{nb} has outputs but no metadata bootwm.keep_outputs'

def test_readme_is_index():
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'readme.py'), '--check'])
    assert r.returncode == 0, 'README.md is out of step with nbs/index.ipynb: run python tools/readme.py'
