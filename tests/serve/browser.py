#!/usr/bin/python3
"""`ivraie serve` in headless Chromium (issue 24's browser test).

    /usr/bin/python3 tests/serve/browser.py IVRAIE SCENARIO SCREENSHOT.png

Starts the server on a free loopback port, loads the page, checks the browser
logged no error, moves box `watchlist`'s threshold to 5 the way a student
does (input and change events on the slider), waits for the page to settle,
and checks the "innocent people per real target" figure shown is the one
`ivraie sweep --set box.watchlist.threshold=5` gives (its fp / tp). Saves a
screenshot. Needs Debian's chromium, chromium-driver and python3-selenium.
Exits non-zero on any failure.
"""
import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

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

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
server = subprocess.Popen([ivraie, "serve", scenario, "--bind", "127.0.0.1:%d" % port,
                           "--no-progress"], stderr=subprocess.DEVNULL)
url = "http://127.0.0.1:%d/" % port
for _ in range(600):
    try:
        urllib.request.urlopen(url + "api/report", timeout=2).read()
        break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit("serve did not start")

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
