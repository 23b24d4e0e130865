"""Render nbs/index.ipynb to README.md (markdown cells as they are, code cells fenced, nbdev directives dropped).

nbdev's own `nbdev-readme` needs quarto; this keeps README.md in step without it. Run: python tools/readme.py
(`--check` exits 1 when README.md is out of date; the tests run that)."""
import json, sys
from pathlib import Path

def render(nb_path) -> str:
    cells, out = json.loads(Path(nb_path).read_text())['cells'], []
    for c in cells:
        src = ''.join(c['source']).strip('\n')
        if c['cell_type'] == 'markdown': out.append(src)
        elif c['cell_type'] == 'code' and '#| hide' not in src:
            code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip('\n')
            if code: out.append(f'```python\n{code}\n```')
    return '\n\n'.join(out) + '\n'

if __name__ == '__main__':
    root = Path(__file__).resolve().parent.parent
    text = render(root/'nbs'/'index.ipynb')
    if '--check' in sys.argv: sys.exit(0 if (root/'README.md').read_text() == text else 1)
    (root/'README.md').write_text(text)
