"""Every notebook runs top to bottom in a fresh shell (cells flagged notest/slow/gpu skipped), as `nbdev-test` would.

The notebooks that tell the story keep their outputs (metadata `bootwm.keep_outputs`), so GitHub, the docs and
Colab show results: those run in a capturing shell instead, and their committed outputs must match a fresh run in
what can be compared across machines -- which cells have outputs, of which kinds, and their text with the digits
masked (figures and numbers move with the CPU's floating point). Refresh them with `tools/outputs.py`."""
import json, re
from pathlib import Path
import pytest
from nbdev.test import test_nb as run_nb

ROOT = Path(__file__).resolve().parent.parent
NBS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
def keeps_outputs(nb:Path) -> bool: return json.loads(nb.read_text()).get('metadata', {}).get('bootwm', {}).get('keep_outputs', False)

def test_there_are_notebooks(): assert len(NBS) >= 12

@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(ROOT/'nbs')) for p in NBS])
def test_notebook_runs(nb):
    if keeps_outputs(nb): return _check_outputs(nb)
    ok, secs = run_nb(nb, skip_flags=['notest', 'slow', 'gpu'])
    assert ok, f'{nb.name} failed (traceback above)'

def _shape(cells) -> list:
    "Per code cell: its outputs' kinds and text, digits masked; widget model ids and object addresses dropped"
    mask = lambda s: re.sub(r'0x[0-9a-f]+', '0x', re.sub(r'\d+', '#', s if isinstance(s, str) else ''.join(s)))
    def one(o):
        data = o.get('data', {})
        return (o['output_type'], o.get('name'), tuple(sorted(data)), mask(o.get('text', '')), mask(data.get('text/plain', '')))
    return [[one(o) for o in c.get('outputs', [])] for c in cells if c['cell_type'] == 'code']

def _check_outputs(nb:Path):
    from execnb.shell import CaptureShell
    from fastcore.nbio import read_nb
    fresh = read_nb(nb)
    assert not any(re.search(r'^#\|\s*(notest|slow|gpu)\b', c.source, re.M) for c in fresh.cells if c.cell_type == 'code'), \
        f'{nb.name} keeps its outputs, so every cell must run here'
    sh = CaptureShell(); sh.set_path(nb.parent.resolve()); sh.run_all(fresh, exc_stop=True)
    got = _shape([dict(c) | dict(outputs=[dict(o) for o in c.get('outputs', [])]) for c in fresh.cells])
    want = _shape(json.loads(nb.read_text())['cells'])
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f'{nb.name}, code cell {i}: its committed outputs are stale; run tools/outputs.py {nb.relative_to(ROOT)}'
    assert len(got) == len(want)
