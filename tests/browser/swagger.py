#!/usr/bin/env python3
"""Swagger UI in a real browser (headless Chromium): the page loads the document, "Authorize"
takes an access token, and "Try it out" on a protected operation answers 200 with it (401
without it). With `--admins` it checks a server started with DOCS_ACCESS=admins instead: the
page is refused without credentials and served with an admin's e-mail and password (HTTP Basic,
what the browser's own prompt sends).

Not part of `cargo test` (it needs a browser): run it against a seeded server, e.g.

    cinema seed            # prints the demo users' passwords once
    cinema serve &
    python3 tests/browser/swagger.py USER_EMAIL 'PASSWORD'
    DOCS_ACCESS=admins cinema serve &
    python3 tests/browser/swagger.py --admins ADMIN_EMAIL 'PASSWORD'

Needs Debian's `chromium` and `chromium-driver` and `pip install selenium`.
"""

import base64
import json
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

BASE = "http://127.0.0.1:8010"


def login(email, password):
    body = json.dumps({"email": email, "password": password}).encode()
    req = urllib.request.Request(
        f"{BASE}/api/v1/accounts/login", body, {"content-type": "application/json"}
    )
    with urllib.request.urlopen(req) as res:
        return json.load(res)["access_token"]


def browser():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def try_profile(driver, wait):
    """Expands GET /api/v1/profile, presses Try it out and Execute; answers the live status."""
    block = wait.until(
        ready.presence_of_element_located(
            (By.XPATH, "//div[contains(@class,'opblock-get')][.//*[@data-path='/api/v1/profile']]")
        )
    )
    if "is-open" not in block.get_attribute("class"):
        block.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    try_out = wait.until(lambda d: block.find_element(By.CSS_SELECTOR, ".try-out__btn"))
    if try_out.text.strip() == "Try it out":
        try_out.click()
    block.find_element(By.CSS_SELECTOR, "button.execute").click()
    cell = wait.until(
        lambda d: block.find_element(
            By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status"
        )
    )
    status = cell.text.strip().split()[0]
    block.find_element(By.CSS_SELECTOR, "button.btn-clear").click()
    return status


def public(email, password):
    token = login(email, password)
    driver = browser()
    wait = WebDriverWait(driver, 20)
    try:
        driver.get(f"{BASE}/docs/")
        title = wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".info .title")))
        assert "Cinema API" in title.text, title.text
        status = try_profile(driver, wait)
        assert status == "401", f"no token yet: {status}"

        driver.find_element(By.CSS_SELECTOR, "button.authorize").click()
        field = wait.until(
            ready.presence_of_element_located((By.CSS_SELECTOR, ".auth-container input"))
        )
        field.send_keys(token)
        driver.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
        driver.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.btn-done").click()
        status = try_profile(driver, wait)
        assert status == "200", f"with the token: {status}"
        print("swagger ui: document loaded, Authorize took the token, Try it out answered 200")
    finally:
        driver.quit()


def admins(email, password):
    with_nothing = urllib.request.Request(f"{BASE}/openapi.json")
    try:
        urllib.request.urlopen(with_nothing)
        raise AssertionError("the document was served without credentials")
    except urllib.error.HTTPError as refused:
        assert refused.code == 401, refused.code
        challenges = refused.headers.get_all("www-authenticate") or []
        assert any(c.startswith("Basic ") for c in challenges), challenges
    driver = browser()
    wait = WebDriverWait(driver, 20)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        basic = base64.b64encode(f"{email}:{password}".encode()).decode()
        driver.execute_cdp_cmd(
            "Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {basic}"}}
        )
        started = time.monotonic()
        driver.get(f"{BASE}/docs/")
        title = wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".info .title")))
        assert "Cinema API" in title.text, title.text
        print(f"swagger ui (admins): served to the admin in {time.monotonic() - started:.1f} s")
    finally:
        driver.quit()


if __name__ == "__main__":
    if sys.argv[1] == "--admins":
        admins(sys.argv[2], sys.argv[3])
    else:
        public(sys.argv[1], sys.argv[2])
