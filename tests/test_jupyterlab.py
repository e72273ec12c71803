"""The notebooks as readers see them in JupyterLab 4 with jupyterlab-myst.

Starts a JupyterLab server on 127.0.0.1 (a free port, a random token, settings and runtime
files in a temporary folder), opens a notebook in headless Chromium and reads the rendered
page: every markdown cell is rendered by jupyterlab-myst, the exercises are boxes, the
solutions are folded, and no MyST source (a ```{exercise} or :::{ fence, a :label: line, a
{cite} or {glue} role) shows as raw text. Nothing leaves the machine: every host name but
127.0.0.1 is mapped to NOTFOUND.

What jupyterlab-myst 2.7 cannot do (measured here): a {glue:text} number shows as its name
(its issue #40), and a citation shows as its key, because the extension reads no .bib file.
Every glued number is printed by the cell that computes it, just above.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = "notebooks/01_q_learning_by_hand.ipynb"
REQUIRED = os.environ.get("DQREC_REQUIRE_BROWSER") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

try:
    import jupyterlab_myst  # noqa: F401

    HAVE_MYST = True
except ImportError:
    HAVE_MYST = False

if REQUIRED and (CHROMIUM is None or not HAVE_MYST):
    raise RuntimeError("DQREC_REQUIRE_BROWSER=1 but chromium or jupyterlab-myst is missing")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
    pytest.mark.skipif(not HAVE_MYST, reason="jupyterlab-myst is not installed"),
]

# JupyterLab settings for the test server: render every cell (no windowing, so cells far
# down the notebook are in the page too) and fetch no news.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "param"}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _LabPage(HTMLParser):
    """Reads a dumped JupyterLab page: the rendered MyST cells, apart from the editors."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[set[str]] = []
        self.rendered_cells = 0
        self.text: list[str] = []  # text inside rendered MyST, outside any editor
        self.exercises = 0
        self.folded = 0  # closed <details> boxes (solutions) in rendered MyST
        self.open_details = 0
        self.images: list[str] = []  # src of every image in rendered MyST

    def _inside(self, name: str) -> bool:
        return any(name in classes for classes in self.stack)

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        classes = set((attr.get("class") or "").split())
        in_myst = self._inside("myst") and not self._inside("cm-editor")
        if "myst" in classes and "lm-Widget" in classes:
            self.rendered_cells += 1
        if in_myst and tag == "img":
            self.images.append(attr.get("src") or "")
        if in_myst and "myst-exercise" in classes:
            if tag == "details":
                if "open" in attr:
                    self.open_details += 1
                else:
                    self.folded += 1
            else:
                self.exercises += 1
        if tag not in VOID:
            self.stack.append(classes)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self._inside("myst") and not self._inside("cm-editor"):
            self.text.append(data)


@pytest.fixture(scope="module")
def lab_server():
    """A JupyterLab server on 127.0.0.1; yields (base URL, token)."""
    token, port = secrets.token_hex(16), _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        for name, value in SETTINGS.items():
            path = Path(tmp, "settings", name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        env = dict(
            os.environ,
            JUPYTERLAB_SETTINGS_DIR=f"{tmp}/settings",
            JUPYTERLAB_WORKSPACES_DIR=f"{tmp}/workspaces",
            JUPYTER_RUNTIME_DIR=f"{tmp}/runtime",
            JUPYTER_CONFIG_DIR=f"{tmp}/config",
        )
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={REPO}",
        ]  # fmt: skip
        log = Path(tmp, "server.log").open("w")
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    request = urllib.request.Request(
                        f"{base}/api/status", headers={"Authorization": f"token {token}"}
                    )
                    with urllib.request.urlopen(request, timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    tail = Path(tmp, "server.log").read_text()[-3000:]
                    pytest.fail(f"JupyterLab did not start on port {port}:\n{tail}")
                time.sleep(0.5)
            yield base, token
        finally:
            server.send_signal(signal.SIGTERM)  # a clean stop also shuts its kernels down
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()


def _open_in_lab(base: str, token: str, notebook: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                f"--user-data-dir={profile}", "--window-size=1280,1000",
                "--virtual-time-budget=30000", "--dump-dom",
                f"{base}/lab/tree/{notebook}?token={token}",
            ],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    assert result.returncode == 0, f"chromium failed: {result.stderr[-2000:]}"
    return result.stdout


def test_notebook_reads_well_in_jupyterlab(lab_server):
    base, token = lab_server
    page = _LabPage()
    page.feed(_open_in_lab(base, token, NOTEBOOK))
    cells = json.loads((REPO / NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    markdown = [c for c in cells if c["cell_type"] == "markdown"]
    sources = "".join("".join(c["source"]) for c in markdown)
    assert page.rendered_cells == len(markdown), (
        f"jupyterlab-myst rendered {page.rendered_cells} of {len(markdown)} markdown cells"
    )
    text = "".join(page.text)
    assert page.exercises >= sources.count("{exercise}") > 0, "exercises are not rendered"
    assert page.folded > 0 and page.open_details == 0, "solutions are not folded"
    for raw in (":::{", "```{", ":label:", "{exercise}", "{solution", "{cite", "{glue"):
        assert raw not in text, f"raw MyST {raw!r} shows in the rendered notebook"
    # the tiny-shop figure is served from book/figures/ and shown
    assert any("/files/book/figures/tiny_shop_mdp.svg" in src for src in page.images), page.images
    # a citation is rendered (as its key), the text around it too
    assert "watkins1992qlearning" in text and "learns the long-term value" in text
