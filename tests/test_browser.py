"""The widgets as a researcher meets them: JupyterLab on loopback, driven by a real (headless) Chromium.

Opens a copy of `nbs/09_widgets.ipynb`, runs every cell in its kernel, checks that each view renders as a widget
(no "Error displaying widget", no traceback) with its picture at the picture's own aspect ratio, moves a control
and checks the picture changes. Screenshots go to `$BOOTWM_SCREENSHOTS` (default: the test's temporary folder).
Skips, saying why, where Chromium, JupyterLab or Playwright is missing (`.ci/run` installs Chromium where it can;
Playwright drives the system browser, it downloads none)."""
import os, secrets, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get('BOOTWM_CHROMIUM') or shutil.which('chromium') or shutil.which('chromium-browser')
sync_api = pytest.importorskip('playwright.sync_api', reason='Playwright is not installed (it comes with the dev extra)')
pytest.importorskip('jupyterlab', reason='JupyterLab is not installed (it comes with the lab and dev extras)')
if not CHROMIUM: pytest.skip('no Chromium on this machine (Debian: apt-get install chromium)', allow_module_level=True)

CHROME_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync']

def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture
def lab(tmp_path):
    "A JupyterLab server on loopback serving a copy of the widgets notebook; yields its base URL and token"
    work = tmp_path/'nbs'; work.mkdir()
    shutil.copy(ROOT/'nbs/09_widgets.ipynb', work)
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(tmp_path/'cfg'), 'JUPYTER_DATA_DIR': str(tmp_path/'data'),
           'JUPYTER_RUNTIME_DIR': str(tmp_path/'run'), 'JUPYTERLAB_WORKSPACES_DIR': str(tmp_path/'ws'),
           'JUPYTERLAB_SETTINGS_DIR': str(tmp_path/'settings')}
    log = open(tmp_path/'lab.log', 'w')
    proc = subprocess.Popen([sys.executable, '-m', 'jupyterlab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
                             f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={work}',
                             '--LabApp.expose_app_in_browser=True', '--allow-root', '--LabApp.news_url=', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate'],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f'http://127.0.0.1:{port}'
    try:
        for _ in range(240):
            if proc.poll() is not None: pytest.fail(f'JupyterLab exited: {(tmp_path/"lab.log").read_text()[-2000:]}')
            try: urllib.request.urlopen(f'{url}/api/status?token={token}', timeout=2); break
            except OSError: time.sleep(0.5)
        else: pytest.fail(f'JupyterLab did not answer in 120 s: {(tmp_path/"lab.log").read_text()[-2000:]}')
        yield url, token
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try: proc.wait(30)
            except subprocess.TimeoutExpired: os.killpg(proc.pid, 9)
        log.close()

KERNEL_READY = """() => { const k = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle'; }"""
CELLS_DONE = """() => { const ps = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim());
  return ps.length > 0 && ps.every(t => /^\\[\\d+\\]:$/.test(t)); }"""

def _widget_images(page):
    return page.locator('.jp-OutputArea-output .widget-image')

def test_widgets_render_and_respond_in_jupyterlab(lab, tmp_path):
    url, token = lab
    shots = Path(os.environ.get('BOOTWM_SCREENSHOTS', tmp_path)); shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        page = browser.new_page(viewport={'width': 1400, 'height': 1000})
        page.goto(f'{url}/lab/tree/09_widgets.ipynb?token={token}')
        page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook .jp-CodeCell')", timeout=120_000)
        page.wait_for_function(KERNEL_READY, timeout=120_000, polling=500)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(CELLS_DONE, timeout=300_000, polling=1000)
        page.screenshot(path=str(shots/'09_widgets_run_all.png'), full_page=True)

        outputs = '\n'.join(page.locator('.jp-OutputArea-output').all_inner_texts())
        assert 'Error displaying widget' not in outputs and 'Traceback' not in outputs, outputs[-3000:]
        assert '<Figure size' not in outputs and '<bootwm.' not in outputs     # figures and views display themselves
        images = _widget_images(page)
        assert images.count() >= 2                                         # the importance map and the ranking
        for i in range(images.count()):
            im = images.nth(i); im.scroll_into_view_if_needed()
            page.wait_for_function('(im) => im.complete && im.naturalWidth > 0', arg=im.element_handle(), timeout=30_000)
            nat, shown = im.evaluate('im => [im.naturalWidth / im.naturalHeight, im.clientWidth / im.clientHeight]')
            assert abs(shown / nat - 1) < 0.02, (i, nat, shown)            # drawn at the picture's own aspect ratio

        # move the importance map's floor slider one step; the map is redrawn
        view = page.locator('.jp-OutputArea-output .widget-vbox').filter(has=page.locator('.widget-slider', has_text='floor')).first
        view.scroll_into_view_if_needed()
        floor = view.locator('.widget-slider', has_text='floor')
        handle = floor.locator('.noUi-handle')
        before, value = view.locator('.widget-image').get_attribute('src'), float(handle.get_attribute('aria-valuenow'))
        handle.focus()
        page.keyboard.press('ArrowRight')
        page.wait_for_function('([el, src]) => el.getAttribute("src") !== src',
                               arg=[view.locator('.widget-image').element_handle(), before], timeout=30_000)
        assert float(handle.get_attribute('aria-valuenow')) > value                  # the key moved the floor up
        view.screenshot(path=str(shots/'09_widgets_importance_map_after_move.png'))
        browser.close()
