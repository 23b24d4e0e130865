"""The docs build up to quarto: nbdev's processing step (the one before quarto renders pages) succeeds on every
notebook, with the site's config files in `nbs/`. Quarto itself is not installed here (nbdev would fetch it)."""
import shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def test_every_notebook_processes_for_the_docs(tmp_path):
    for p in ('nbs', 'bootwm'): shutil.copytree(ROOT/p, tmp_path/p)
    for p in ('pyproject.toml', 'README.md'): shutil.copy(ROOT/p, tmp_path/p)
    assert (ROOT/'nbs/_quarto.yml').exists() and (ROOT/'nbs/styles.css').exists()
    r = subprocess.run([sys.executable, '-c', 'from nbdev.serve import proc_nbs; proc_nbs(n_workers=0)'],
                       cwd=tmp_path, capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stderr[-4000:]
    want = {p.relative_to(ROOT/'nbs') for p in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts}
    assert want <= {p.relative_to(tmp_path/'_proc') for p in (tmp_path/'_proc').rglob('*.ipynb')}
