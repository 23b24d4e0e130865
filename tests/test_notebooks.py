"Every notebook runs top to bottom in a fresh shell (cells flagged notest/slow/gpu skipped), as `nbdev-test` would."
from pathlib import Path
import pytest
from nbdev.test import test_nb as run_nb

ROOT = Path(__file__).resolve().parent.parent
NBS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)

def test_there_are_notebooks(): assert len(NBS) >= 12

@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(ROOT/'nbs')) for p in NBS])
def test_notebook_runs(nb):
    ok, secs = run_nb(nb, skip_flags=['notest', 'slow', 'gpu'])
    assert ok, f'{nb.name} failed (traceback above)'
