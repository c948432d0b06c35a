"""The playground in a real browser: headless Chromium driven by Selenium.

Starts ``deepzoo playground --no-browser`` as a user would, opens the page at
1280 x 800, trains a tanh network on the circle until the test loss is below 0.1,
switches the activation and sees the output change, exports the program, runs
it and compares its loss with the page's. Needs Chromium and its driver
(Debian: ``chromium``, ``chromium-driver``) and Selenium (the test extra); it is
skipped without them, and ``.ci/run`` insists that it ran.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

selenium = pytest.importorskip("selenium", reason="selenium is not installed")
pytest.importorskip("uvicorn", reason="the playground extra is not installed")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("chromedriver")),
    reason="needs Chromium and chromedriver (Debian: apt install chromium chromium-driver)")]

#: where the screenshot goes (the docs show it as _static/playground.png)
SHOTS = Path(os.environ.get("DEEPZOO_SCREENSHOTS", Path(__file__).parents[1] / "build" / "screenshots"))


@pytest.fixture
def playground():
    """The address of a freshly started ``deepzoo playground``, and the seconds it took to be ready."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "deepzoo", "playground", "--no-browser"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
    assert match, line
    try:
        yield match.group(1), start
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(shutil.which("chromedriver")))
    yield driver
    driver.quit()


def wait_for(condition, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds} s for {what}")


def surface(browser):
    return browser.execute_script("return document.getElementById('surface').toDataURL();")


def test_the_playground_in_a_real_browser(playground, browser, tmp_path):
    url, started = playground
    browser.get(url)
    epoch = browser.find_element(By.ID, "epoch")
    wait_for(lambda: browser.find_element(By.ID, "test-loss").text != "-", 20, "the first frame")
    ready = time.perf_counter() - started
    Select(browser.find_element(By.ID, "dataset")).select_by_value("circle")
    Select(browser.find_element(By.ID, "activation")).select_by_value("tanh")
    wait_for(lambda: epoch.text == "0", 10, "a new session")
    browser.find_element(By.ID, "play").click()
    test_loss = browser.find_element(By.ID, "test-loss")
    wait_for(lambda: test_loss.text not in ("-", "") and float(test_loss.text) < 0.1, 90,
             "the test loss to fall below 0.1")
    browser.find_element(By.ID, "play").click()  # pause
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "playground.png"))

    before = surface(browser)
    Select(browser.find_element(By.ID, "activation")).select_by_value("relu")
    # until the new session's first frame arrives the page still shows the old epoch,
    # which is past 20 already
    wait_for(lambda: epoch.text == "0", 10, "a new session")
    browser.find_element(By.ID, "play").click()
    wait_for(lambda: int(epoch.text) > 20, 30, "training with relu")
    browser.find_element(By.ID, "play").click()  # pause
    wait_for(lambda: surface(browser) != before, 5, "the output surface to change")

    time.sleep(0.5)  # frames sent before the pause arrive
    shown = (epoch.text, test_loss.text)
    browser.find_element(By.ID, "show-code").click()
    code = wait_for(lambda: browser.find_element(By.ID, "code").text, 10, "the program")
    assert f"epochs={shown[0]}" in code
    program = tmp_path / "playground_run.py"
    program.write_text(code)
    done = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = float(re.search(r"test loss (\d+\.\d+)", done.stdout).group(1))
    assert f"{printed:.3f}" == shown[1], (done.stdout, shown)
    print(f"playground ready {ready:.1f} s after the command")

    browser.set_window_size(768, 1000)  # a narrow window: the columns stack, nothing sticks out
    browser.find_element(By.ID, "step").click()
    wait_for(lambda: browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth;"), 5, "the page to fit 768 px")
    browser.save_screenshot(str(SHOTS / "playground-768.png"))
