"Imports only point down: every `bootwm.X` a module imports (at the top or inside a function) comes at or before it in notebook order."
import ast, json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def notebook_order() -> dict:
    "module name -> position, from the `#| default_exp` line of each notebook in nbs/, in file-name order"
    out = {}
    for nb in sorted((ROOT/'nbs').glob('[0-9]*.ipynb')):
        for c in json.loads(nb.read_text())['cells']:
            src = ''.join(c['source'])
            if c['cell_type'] == 'code' and src.lstrip().startswith('#| default_exp'):
                out[src.split()[2]] = len(out)
                break
    return out

def imported(path:Path) -> set:
    "The bootwm modules a file imports anywhere in it (relative `from .x`, `from bootwm.x`, `import bootwm.x`)"
    out = set()
    for n in ast.walk(ast.parse(path.read_text())):
        if isinstance(n, ast.ImportFrom):
            mod = n.module or ''
            if n.level == 1: mod = f'bootwm.{mod}' if mod else 'bootwm'
            if mod == 'bootwm': out |= {a.name for a in n.names}      # `from bootwm import train`
            elif mod.startswith('bootwm.'): out.add(mod.split('.')[1])
        elif isinstance(n, ast.Import):
            out |= {a.name.split('.')[1] for a in n.names if a.name.startswith('bootwm.')}
    return out

def graph() -> dict:
    order = notebook_order()
    return {m: imported(ROOT/'bootwm'/f'{m}.py') & set(order) - {m} for m in order}

def test_every_module_has_a_notebook():
    mods = {p.stem for p in (ROOT/'bootwm').glob('*.py') if not p.stem.startswith('_')}
    assert mods == set(notebook_order()), mods ^ set(notebook_order())

def test_imports_point_down():
    order, bad = notebook_order(), []
    for m, deps in graph().items():
        bad += [f'bootwm.{m} imports bootwm.{d}, which comes later in notebook order' for d in deps if order[d] > order[m]]
    assert not bad, '\n'.join(bad)

def test_no_cycles():
    g, seen, stack = graph(), set(), []
    def visit(m):
        if m in stack: raise AssertionError(f"import cycle: {' -> '.join(stack[stack.index(m):] + [m])}")
        if m in seen: return
        stack.append(m); [visit(d) for d in sorted(g[m])]; stack.pop(); seen.add(m)
    for m in g: visit(m)

def test_the_walk_sees_imports_inside_functions(tmp_path):
    p = tmp_path/'m.py'
    p.write_text('from .core import x\nimport os\ndef f():\n    from bootwm.train import y\n    import bootwm.cli\n')
    assert imported(p) == {'core', 'train', 'cli'}

def test_inference_does_not_load_the_trainer():
    "Sampling, scoring, annotation and evaluation run without `bootwm.train` (and transformers' `Trainer`) imported"
    import subprocess, sys
    code = ('import sys, bootwm.search, bootwm.actions, bootwm.bootstrap, bootwm.evaluate, bootwm.memory\n'
            'print(sorted(m for m in sys.modules if m in ("bootwm.train", "bootwm.measure", "transformers.trainer")))')
    r = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == '[]', r.stdout
