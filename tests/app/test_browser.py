"""End to end in a real headless Chromium: serve the app, run a shipped example with the embedded model.

Run explicitly with `pytest -m browser tests/app/test_browser.py` (CI deselects it with -m "not browser").
Needs /usr/bin/chromium, /usr/bin/chromedriver and the selenium package; skips with a reason otherwise.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from optcopilot.app import APP_SCRIPT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("OPTCOPILOT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("OPTCOPILOT_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "app_screenshot.png"
SERVER_START_S = 90
SOLVE_WAIT_S = float(os.environ.get("OPTCOPILOT_BROWSER_WAIT", "1500"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"streamlit did not answer within {SERVER_START_S} s:\n{log.read_text()[-2000:]}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`streamlit run app/streamlit_app.py` on a free local port with the embedded model; stopped at the end."""
    port = _free_port()
    env = {**os.environ, "OPTCOPILOT_APP_LLM": "local", "OPTCOPILOT_APP_LLM_TIMEOUT": str(SOLVE_WAIT_S)}
    env.pop("OPTCOPILOT_CACHE_DIR", None)  # reuse the real model cache (the joined GGUF file)
    log = tmp_path / "streamlit.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[object]:
    """Headless Chromium through the system chromedriver (never downloads a browser)."""
    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1400,2200"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def _page_text(browser: object) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.TAG_NAME, "body").text)  # type: ignore[attr-defined]


def test_example_runs_in_a_real_browser(server: str, driver: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser = driver
    browser.get(server)  # type: ignore[attr-defined]
    wait = WebDriverWait(browser, 60)
    wait.until(ec.presence_of_element_located((By.XPATH, "//*[contains(text(), 'Shipped example')]")))
    # pick the shipped example in the main-page selectbox labelled "Shipped example"
    box = wait.until(ec.element_to_be_clickable(
        (By.XPATH, "//div[@data-testid='stSelectbox'][.//p[text()='Shipped example']]")))
    box.click()
    option = wait.until(ec.element_to_be_clickable((By.XPATH, "//*[@role='option'][contains(., 'production')]")))
    option.click()
    wait.until(lambda b: "chairs and tables" in (
        b.find_element(By.CSS_SELECTOR, "textarea[aria-label^='Describe']").get_attribute("value") or ""))
    run = wait.until(ec.element_to_be_clickable(
        (By.XPATH, "//button[.//*[contains(text(), 'Formulate and solve')]]")))
    run.click()
    WebDriverWait(browser, SOLVE_WAIT_S, poll_frequency=2).until(
        lambda b: "Solution:" in _page_text(b) or "No formulation:" in _page_text(b))
    text = _page_text(browser)
    time.sleep(2)  # let charts and LaTeX finish rendering
    # open the Solution tab so the screenshot shows the answer
    for tab in browser.find_elements(By.CSS_SELECTOR, "button[role='tab']"):  # type: ignore[attr-defined]
        if tab.text.strip() == "Solution":
            tab.click()
            time.sleep(2)
            break
    shot = tmp_path / "app_screenshot.png"
    browser.save_screenshot(str(shot))  # type: ignore[attr-defined]
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT)
    assert "Solution:" in text, text[-2000:]
    assert "Objective" in _page_text(browser)
