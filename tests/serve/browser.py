#!/usr/bin/python3
"""`ivraie serve` in headless Chromium (issue 24's browser test).

    /usr/bin/python3 tests/serve/browser.py IVRAIE SCENARIO SCREENSHOT.png

Starts the server on a free loopback port, loads the page, checks the browser
logged no error, moves box `watchlist`'s threshold to 5 the way a student
does (input and change events on the slider), waits for the page to settle,
and checks the "innocent people per real target" figure shown is the one
`ivraie sweep --set box.watchlist.threshold=5` gives (its fp / tp). Then the
commission renews nothing (one window, a refusal listed), the targets all use
Tor (a population generated again: no real target found), and the run is
played (windows authorised and renewed listed). Saves a screenshot. Needs Debian's chromium, chromium-driver and python3-selenium.
Exits non-zero on any failure.
"""
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ivraie, scenario, shot = sys.argv[1:4]
tmp = tempfile.mkdtemp(prefix="ivraie-browser-")

# What sweep says for threshold 5.
subprocess.run([ivraie, "sweep", scenario, "--set", "box.watchlist.threshold=5",
                "-o", os.path.join(tmp, "sweep"), "--no-progress"],
               check=True, stdout=subprocess.DEVNULL)
with open(os.path.join(tmp, "sweep", "sweep.csv")) as f:
    row = next(csv.DictReader(f))
expected = "%.1f" % (int(row["fp"]) / int(row["tp"]))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import start  # noqa: E402

server, base = start(ivraie, scenario)
url = base + "/"

opts = Options()
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
          "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync",
          "--window-size=1200,1600", "--user-data-dir=" + os.path.join(tmp, "profile")]:
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
failed = []
try:
    driver.get(url)
    wait = WebDriverWait(driver, 60)
    wait.until(lambda d: d.execute_script("return document.body.dataset.settled") == "0")
    before = driver.find_element(By.ID, "ratio").text
    driver.execute_script("""
        const r = document.getElementById('threshold-0');
        r.value = '5';
        r.dispatchEvent(new Event('input'));
        r.dispatchEvent(new Event('change'));""")
    wait.until(lambda d: d.execute_script("return document.body.dataset.settled") == "1")
    shown = driver.find_element(By.ID, "ratio").text
    print("innocent people per real target: %s at threshold 3, %s at 5 (sweep: %s)"
          % (before, shown, expected))
    if shown != expected:
        failed.append("the page shows %s, sweep gives %s" % (shown, expected))
    if shown == before:
        failed.append("the figure did not change")

    def choose(select_id, value, settled):
        driver.execute_script("""
            const s = document.getElementById(arguments[0]);
            s.value = arguments[1];
            s.dispatchEvent(new Event('change'));""", select_id, value)
        wait.until(lambda d: d.execute_script("return document.body.dataset.settled") == settled)

    # The commission renews no window: the box stops after its first, and the
    # page says so under the chart.
    choose("rule", "never", "2")
    law = driver.find_element(By.ID, "law").text
    bands = driver.execute_script("return document.querySelectorAll('#chart rect.window').length")
    print("commission renews nothing: %d window(s); %s" % (bands, law.replace("\n", " | ")))
    if bands != 1 or "refuses" not in law:
        failed.append("with rule `never`: %d windows, law list %r" % (bands, law))
    # Targets all on Tor: the population is generated again; the box finds
    # no real target.
    choose("rule", "always", "3")
    wait = WebDriverWait(driver, 120)
    choose("target_tor_share", "1", "4")
    detail = driver.find_element(By.ID, "figure").text
    print("targets on Tor:", detail)
    if "no real target" not in detail:
        failed.append("with targets on Tor the page shows %r" % detail)
    # Played day by day: the windows open and renew as the run reaches them.
    driver.find_element(By.ID, "play").click()
    wait.until(lambda d: d.find_element(By.ID, "day").text == d.execute_script(
        "const b = current.boxes[0]; return b.days[b.days.length - 1].date"))
    law = driver.find_element(By.ID, "law").text
    if "authorised" not in law or "renewed" not in law:
        failed.append("after playing, the law list is %r" % law)
    time.sleep(1)
    driver.save_screenshot(shot)
    if os.path.getsize(shot) < 10_000:
        failed.append("the screenshot is nearly empty")
    errors = [l for l in driver.get_log("browser") if l["level"] == "SEVERE"]
    if errors:
        failed.append("console errors: %r" % errors)
finally:
    driver.quit()
    server.send_signal(signal.SIGINT)
    code = server.wait(timeout=20)
    if code != 0:
        failed.append("serve exited %d after Ctrl-C" % code)
if failed:
    sys.exit("FAILED: " + "; ".join(failed))
print("browser test OK; screenshot", shot)
