#!/usr/bin/env python3
"""Buy a movie and watch it in a real browser (headless Chromium): the watch page's video
element loads its metadata, reports the clip's duration, and seeks — which only works when the
link answers HTTP range requests.

Not part of `cargo test` (it needs a browser): run it against a freshly seeded server started
with no payment configuration, e.g.

    cinema seed            # prints the demo users' passwords once
    cinema serve &
    python3 tests/browser/watch.py MODERATOR_EMAIL 'PASSWORD' USER_EMAIL 'PASSWORD'

Needs Debian's `chromium` and `chromium-driver` and `pip install selenium`. The moderator
attaches `tests/fixtures/clip.mp4` (5 s) to a movie the user does not own; the user buys it
through the test gateway's page, opens the play answer's `watch_url`, and the script checks the
video in the page; then the user refunds and the page is refused.
"""

import json
import pathlib
import sys
import time
import urllib.error
import urllib.request
import uuid

from selenium import webdriver
from selenium.webdriver.common.by import By

BASE = "http://127.0.0.1:8010/api/v1"
CLIP = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "clip.mp4"


def call(method, path, token=None, body=None, raw=None, content_type="application/json"):
    headers = {"content-type": content_type}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(BASE + path, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request) as res:
            text = res.read()
            return res.status, json.loads(text) if text else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def login(email, password):
    status, tokens = call("POST", "/accounts/login", body={"email": email, "password": password})
    assert status == 201, tokens
    return tokens["access_token"]


def browser():
    options = webdriver.ChromeOptions()
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")
    options.add_argument("--autoplay-policy=no-user-gesture-required")
    options.binary_location = "/usr/bin/chromium"
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


def wait_for(driver, script, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def main(mod_email, mod_password, user_email, user_password):
    moderator = login(mod_email, mod_password)
    user = login(user_email, user_password)
    owned = {m["id"] for m in call("GET", "/library", user)[1]["items"]}
    movie = next(m for m in call("GET", "/movies?limit=50")[1]["items"] if m["id"] not in owned)

    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + CLIP.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, stored = call("PUT", f"/movies/{movie['id']}/video", moderator, raw=body,
                          content_type=f"multipart/form-data; boundary={boundary}")
    assert status == 200, stored

    status, body = call("POST", "/cart/items", user, {"movie_id": movie["id"]})
    assert status in (201, 409), body
    status, order = call("POST", "/orders", user, {})
    assert status == 201, order
    status, checkout = call("POST", f"/orders/{order['id']}/checkout", user, {})
    assert status == 200, checkout

    driver = browser()
    try:
        driver.get(checkout["checkout_url"])
        driver.find_element(By.CSS_SELECTOR, "button[value=pay]").click()
        wait_for(driver, "return document.body && document.body.innerText.startsWith('Paid.')")

        status, play = call("GET", f"/library/{movie['id']}/play", user)
        assert status == 200, play
        driver.get(play["watch_url"])
        assert movie["name"] in driver.title, driver.title
        wait_for(driver, "return document.getElementById('player').readyState >= 1")
        duration = driver.execute_script("return document.getElementById('player').duration")
        assert abs(duration - 5) < 0.2, f"duration {duration}"
        driver.execute_script(
            "const v = document.getElementById('player');"
            "window.seekedTo = null;"
            "v.addEventListener('seeked', () => { window.seekedTo = v.currentTime; });"
            "v.currentTime = 3;"
        )
        landed = wait_for(driver, "return window.seekedTo")
        assert abs(landed - 3) < 0.5, f"seeked to {landed}, not 3 (no range support?)"
        watch_url = play["watch_url"]
    finally:
        driver.quit()

    payment = call("GET", "/payments", user)[1]["items"][0]
    status, refunded = call("POST", f"/payments/{payment['id']}/refund", user, {})
    assert status == 200, refunded
    try:
        urllib.request.urlopen(watch_url)
        raise AssertionError("the watch page still opens after the refund")
    except urllib.error.HTTPError as err:
        assert err.code == 403, err.code
    print(f"bought and watched '{movie['name']}' in a real browser "
          f"(duration {duration:.1f} s, seeked to {landed:.1f} s), refused after the refund: ok")


if __name__ == "__main__":
    main(*sys.argv[1:5])
