"""Headless Chromium on the dashboard and a workflow page, with JavaScript on and off.

Debian's chromium and chromedriver (scripts/browser installs them); screenshots go to
test-artifacts/screenshots/.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoAlertPresentException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import started
from tests.e2e.harness import Deployment

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
SCRIPT = "<script>alert(1)</script>"


def chromium(javascript: bool) -> WebDriver:
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or driver is None:
        pytest.fail("chromium and chromedriver are needed: run scripts/browser (Debian packages)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1100,1300")
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


@pytest.fixture
def browsers() -> Iterator[tuple[WebDriver, WebDriver]]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with_js, without_js = chromium(javascript=True), chromium(javascript=False)
    try:
        yield with_js, without_js
    finally:
        with_js.quit()
        without_js.quit()


def place_through_the_form(browser: WebDriver, url: str, customer: str, sku: str) -> str:
    """Fill the dashboard's form; returns the correlation id of the page it leads to."""
    browser.get(f"{url}/")
    form = browser.find_element(By.ID, "place-order")
    for name, value in (("customer_id", customer), ("sku", sku), ("quantity", "1")):
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    form.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.ID, "status"))
    return browser.current_url.rstrip("/").rsplit("/", 1)[-1]


def status_of(browser: WebDriver) -> str | None:
    """The status shown; None when the page replaced the element between finding it and reading
    its text (the live page swaps it as events arrive), so that a wait looks again."""
    try:
        return str(browser.find_element(By.ID, "status").text)
    except StaleElementReferenceException:
        return None
    except WebDriverException as error:
        if "does not belong to the document" in (error.msg or ""):
            return None  # Chromium's way of saying the same
        raise


def test_a_person_places_an_order_follows_it_to_the_end_and_finds_it_again(
    deployment: Deployment, browsers: tuple[WebDriver, WebDriver]
) -> None:
    # Shipping starts later, so each workflow waits for it and the pages must update by themselves.
    started(deployment, "orders", "payments", "inventory", "tracker")
    sku = f"SKU-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, "10")
    live, static = browsers
    url = deployment.tracker_url

    live.get(f"{url}/")
    live.save_screenshot(str(SCREENSHOTS / "dashboard.png"))
    followed = place_through_the_form(live, url, SCRIPT, sku)
    refreshed = place_through_the_form(static, url, "no-js", sku)

    for browser in (live, static):
        WebDriverWait(browser, 20).until(
            lambda b: "shipping" in b.find_element(By.ID, "waiting").text
        )
        assert status_of(browser) == "in_progress"
    assert live.find_element(By.ID, "customer").text == SCRIPT  # shown as text, never run
    with pytest.raises(NoAlertPresentException):
        live.switch_to.alert.text  # noqa: B018
    live.save_screenshot(str(SCREENSHOTS / "workflow-in-progress.png"))

    deployment.worker("shipping").start().wait_ready()
    for browser in (live, static):  # one by its event stream, one by refreshing (no JavaScript)
        WebDriverWait(browser, 30).until(lambda b: status_of(b) == "completed")
        assert len(browser.find_elements(By.CSS_SELECTOR, "li.step")) == 5
    live.save_screenshot(str(SCREENSHOTS / "workflow-completed.png"))

    live.get(f"{url}/")
    WebDriverWait(live, 10).until(lambda b: followed in b.find_element(By.ID, "latest").text)
    assert refreshed in live.find_element(By.ID, "latest").text
    search = live.find_element(By.NAME, "id")
    search.send_keys(followed)
    search.submit()
    WebDriverWait(live, 10).until(lambda b: b.current_url.endswith(f"/workflows/{followed}"))
    assert status_of(live) == "completed"
    assert live.find_element(By.ID, "customer").text == SCRIPT
    live.get(f"{url}/")
    live.save_screenshot(str(SCREENSHOTS / "dashboard-after.png"))
