"The lint CI runs (the rules in pyproject.toml's [tool.ruff]), the same one the pre-commit hook runs."
import shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
RUFF = Path(sys.executable).parent/'ruff'

@pytest.mark.skipif(not RUFF.exists() and not shutil.which('ruff'), reason='ruff is not installed (it comes with the dev extra)')
def test_ruff_passes():
    r = subprocess.run([str(RUFF if RUFF.exists() else shutil.which('ruff')), 'check', '--output-format', 'concise', '.'],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr

def test_pre_commit_hooks_are_local():
    "Hooks that fetch repositories cannot run here (or in CI): every hook is a local one"
    text = (ROOT/'.pre-commit-config.yaml').read_text()
    assert 'repo: local' in text and 'rev:' not in text
