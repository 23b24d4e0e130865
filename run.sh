#!/usr/bin/env bash
# bootwm's two commands. Each sets everything up on a fresh machine with Python 3.11+ (no GPU needed):
#   bash run.sh demo [bootwm demo options]   # the toy-world pipeline and its report (default: demo_out/)
#   bash run.sh test [pytest options]        # every test, every notebook included
#   bash run.sh lab [jupyter lab options]    # open the notebooks in JupyterLab (nbs/index.ipynb first)
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
VENV=${BOOTWM_VENV:-.venv}
TORCH_VERSION=2.13.0

setup() {
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  local pip="$VENV/bin/python -m pip"
  local stamp="$VENV/.bootwm-setup"
  if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && [ "$stamp" -nt constraints.txt ]; then return; fi
  $pip install -q --upgrade pip
  if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
      $pip install -q "torch==$TORCH_VERSION"                       # a GPU box: the default (CUDA) build
    else                                                            # no GPU: the CPU wheel, before anything pulls CUDA
      $pip install -q "torch==$TORCH_VERSION" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
    fi
  fi
  $pip install -q -c constraints.txt -e ".[dev]"
  touch "$stamp"
}

cmd=${1:-}; shift || true
case "$cmd" in
  demo) setup; exec "$VENV/bin/bootwm" demo "$@" ;;
  test) setup
        export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
        exec "$VENV/bin/python" -m pytest -q tests "$@" ;;
  lab)  setup; exec "$VENV/bin/jupyter" lab --ServerApp.root_dir=nbs index.ipynb $( [ "$(id -u)" = 0 ] && echo --allow-root ) "$@" ;;
  *) echo "usage: bash run.sh demo [options] | bash run.sh test [pytest options] | bash run.sh lab [jupyter lab options]"; exit 2 ;;
esac
