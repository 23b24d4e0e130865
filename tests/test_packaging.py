"Packaging: pyproject.toml is the one source of the project's settings; setup.py is an empty shim for older tools."
import ast, tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def test_setup_py_is_metadata_free():
    tree = ast.parse((ROOT/'setup.py').read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert len(calls) == 1 and calls[0].func.id == 'setup' and not calls[0].args and not calls[0].keywords
    assert all(isinstance(n, (ast.ImportFrom, ast.Expr)) for n in tree.body)

def test_no_second_source_of_settings():
    assert not (ROOT/'settings.ini').exists()          # nbdev 3 ignores it beside pyproject.toml: it would be dead config
    cfg = tomllib.loads((ROOT/'pyproject.toml').read_text())
    assert cfg['project']['name'] == 'bootwm' and 'nbdev' in cfg['tool']
