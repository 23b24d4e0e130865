"""Colab, simulated: a fresh Python environment without bootwm, a stand-in `google.colab` module, and the notebooks'
install cell pointed at this checkout. The front page, the tour and the widgets notebook then run top to bottom (the
tour and the widgets load the trained toy models, which the install must bring along as package data)."""
import json, os, shutil, subprocess, sysconfig, venv
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = """import sys
from execnb.shell import CaptureShell
from fastcore.nbio import read_nb
from pathlib import Path
p = Path(sys.argv[1]); nb = read_nb(p); sh = CaptureShell(); sh.set_path(p.parent)
sh.run_all(nb, exc_stop=True, preproc=lambda c: c.cell_type == 'code' and any(f in c.source for f in ('#| notest', '#| slow', '#| gpu')))
import bootwm; print('bootwm from', bootwm.__file__)"""

@pytest.fixture(scope='module')
def colab(tmp_path_factory):
    "A new venv that sees this environment's packages (a .pth line, so no editable bootwm) plus a google.colab stand-in"
    d = tmp_path_factory.mktemp('colab'); env = d/'env'
    venv.EnvBuilder(with_pip=False).create(env)
    py = env/'bin/python'
    site = subprocess.run([str(py), '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, 'outer.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')   # pip, torch, ... but not bootwm
    (d/'stand_in/google/colab').mkdir(parents=True)
    (d/'stand_in/google/__init__.py').write_text(''); (d/'stand_in/google/colab/__init__.py').write_text('')
    return py, d

def test_fresh_environment_has_no_bootwm(colab):
    py, d = colab
    r = subprocess.run([str(py), '-c', 'import bootwm'], cwd=d, capture_output=True, text=True)
    assert r.returncode != 0 and 'bootwm' in r.stderr

@pytest.mark.parametrize('name', ['index.ipynb', 'tutorials/tour.ipynb', '09_widgets.ipynb'])
def test_notebook_installs_bootwm_and_runs_on_colab(colab, name, tmp_path):
    py, d = colab
    name = shutil.copy(ROOT/'nbs'/name, tmp_path/Path(name).name)
    target = d/'site'; shutil.rmtree(target, ignore_errors=True); target.mkdir()
    env = {**os.environ, 'PYTHONPATH': str(d/'stand_in'), 'PIP_NO_INDEX': '1', 'PIP_DISABLE_PIP_VERSION_CHECK': '1',
           'BOOTWM_PIP': f'--no-deps --no-build-isolation --target {target} {ROOT}'}
    env['PYTHONPATH'] += os.pathsep + str(target)           # where the install cell puts bootwm
    r = subprocess.run([str(py), '-c', RUN, str(name)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert f'bootwm from {target}' in r.stdout

def test_every_notebook_carries_the_badge_and_the_install_cell():
    "Each notebook opens in Colab from its own badge and installs bootwm there with the cell the test above runs"
    cells = lambda p: [''.join(c['source']) for c in json.loads(p.read_text())['cells']]
    install = next(s for s in cells(ROOT/'nbs/index.ipynb') if s.startswith('#| hide\n# On Colab: install bootwm'))
    bad = []
    for p in sorted((ROOT/'nbs').rglob('*.ipynb')):
        srcs = cells(p)
        if not any(f'colab.research.google.com/github/bootwm/bootwm/blob/main/nbs/{p.relative_to(ROOT/"nbs").as_posix()})' in s for s in srcs): bad.append(f'{p.name}: no Colab badge')
        if install not in srcs: bad.append(f'{p.name}: no install cell like index.ipynb')
    assert not bad, '\n'.join(bad)
