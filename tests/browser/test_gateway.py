#!/usr/bin/env python3
"""A purchase through the built-in test gateway's page in a real browser (headless Chromium).

Not part of `cargo test` (it needs a browser): run it against a freshly seeded server started
with no payment configuration, e.g.

    cinema seed            # prints the demo user's password once
    cinema serve &
    python3 tests/browser/test_gateway.py user@cinema.localhost 'THE-PASSWORD'

Needs Debian's `chromium` and `chromium-driver` and `pip install selenium`. It signs in, puts
two movies in the cart, orders, opens the checkout page in the browser, checks the items and
total shown, presses Pay and checks the library and the payment list.
"""

import json
import sys
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.common.by import By

BASE = "http://127.0.0.1:8010/api/v1"


def call(method, path, token=None, body=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def main(email, password):
    status, tokens = call("POST", "/accounts/login", body={"email": email, "password": password})
    assert status == 201, tokens
    token = tokens["access_token"]
    owned = {m["id"] for m in call("GET", "/library", token)[1]["items"]}
    movies = [m for m in call("GET", "/movies?limit=50")[1]["items"] if m["id"] not in owned][:2]
    assert len(movies) == 2, "two movies not owned yet are needed"
    for movie in movies:
        status, body = call("POST", "/cart/items", token, {"movie_id": movie["id"]})
        assert status in (201, 409), body
    status, order = call("POST", "/orders", token, {})
    assert status == 201, order
    status, checkout = call("POST", f"/orders/{order['id']}/checkout", token, {})
    assert status == 200, checkout

    options = webdriver.ChromeOptions()
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")
    options.binary_location = "/usr/bin/chromium"
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
    browser = webdriver.Chrome(options=options, service=service)
    try:
        browser.get(checkout["checkout_url"])
        page = browser.find_element(By.TAG_NAME, "body").text
        for movie in movies:
            assert movie["name"] in page, page
        assert f"Total {order['total_amount']}" in page, page
        browser.find_element(By.CSS_SELECTOR, "button[value=pay]").click()
        answer = browser.find_element(By.TAG_NAME, "body").text
        assert answer.startswith("Paid."), answer
    finally:
        browser.quit()

    library = {m["id"] for m in call("GET", "/library", token)[1]["items"]}
    assert {m["id"] for m in movies} <= library, library
    payments = call("GET", "/payments", token)[1]["items"]
    assert payments[0]["order_id"] == order["id"] and payments[0]["status"] == "successful"
    print(f"paid order {order['id']} ({order['total_amount']}) in a real browser: ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
