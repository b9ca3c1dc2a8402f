"""The web chat page in a real headless Chromium: type, watch the answer stream in, reset."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import chromium, needs_browser

from labtune.serve.api import create_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = needs_browser

# Counts how many times the answer's text changed, to tell a stream from one late block.
COUNT_UPDATES = """
window.updates = 0;
new MutationObserver(() => { window.updates += 1; })
  .observe(document.getElementById('log'), {subtree: true, characterData: true, childList: true});
"""


@pytest.fixture
def browser():
    with chromium(window="1000,700") as driver:
        yield driver


def ask(browser, wait, text: str, answers: int) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = browser.find_element(By.ID, "input")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".msg.assistant.done")) == answers)


def test_page_streams_an_answer_and_resets(browser, wrap_engine, live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    engine = wrap_engine(delay=0.03)  # slow enough that the stream is visibly incremental
    app = create_app(engine, model_name="tiny-test-model")
    wait = WebDriverWait(browser, 60, poll_frequency=0.1)
    with live_server(app) as url:
        browser.get(url + "/")
        wait.until(lambda d: d.find_element(By.ID, "model-name").text == "tiny-test-model")
        browser.find_element(By.ID, "max-tokens").clear()
        browser.find_element(By.ID, "max-tokens").send_keys("12")
        browser.find_element(By.ID, "temperature").clear()
        browser.find_element(By.ID, "temperature").send_keys("1.3")
        browser.execute_script(COUNT_UPDATES)
        ask(browser, wait, "Who presented on 4/14/2023?", answers=1)
        user = browser.find_element(By.CSS_SELECTOR, ".msg.user .text").text
        answer = browser.find_element(By.CSS_SELECTOR, ".msg.assistant .text").get_attribute("textContent")
        assert user == "Who presented on 4/14/2023?"
        assert answer and "error" not in browser.find_element(By.CSS_SELECTOR, ".msg.assistant").get_attribute("class")
        assert browser.execute_script("return window.updates") > 3  # many partial updates, not one block
        # second turn: the page sends the whole history
        ask(browser, wait, "And the recorder?", answers=2)
        assert len(browser.find_elements(By.CSS_SELECTOR, ".msg.user")) == 2
        prompts = [call for call in engine.model.calls if len(call) > 1]
        assert "Who presented on 4/14/2023?" in engine.tokenizer.decode(prompts[-1])
        ARTIFACTS.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "serve-web-chat.png"))
        browser.find_element(By.ID, "reset").click()
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".msg"))
        assert browser.execute_script("return conversation.length") == 0


def test_page_drops_the_oldest_exchange_when_the_context_is_full(browser, wrap_engine, live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from labtune.data.conversation import Message

    engine = wrap_engine()
    first = "Who presented on 4/14/2023?"
    # room for one exchange and 12 new tokens, not for two
    engine.context_length = len(engine.chat_prompt_ids([Message("user", first)])) + 12 + 5
    wait = WebDriverWait(browser, 60, poll_frequency=0.1)
    with live_server(create_app(engine, model_name="tiny")) as url:
        browser.get(url + "/")
        wait.until(lambda d: d.find_element(By.ID, "model-name").text == "tiny")
        browser.find_element(By.ID, "max-tokens").clear()
        browser.find_element(By.ID, "max-tokens").send_keys("12")
        ask(browser, wait, first, answers=1)
        ask(browser, wait, "And the recorder?", answers=2)
        assert "error" not in browser.find_elements(By.CSS_SELECTOR, ".msg.assistant")[1].get_attribute("class")
        assert "oldest messages dropped" in browser.find_element(By.ID, "status").text
        last_prompt = engine.tokenizer.decode([c for c in engine.model.calls if len(c) > 1][-1])
        assert "And the recorder?" in last_prompt and first not in last_prompt


def test_page_names_the_notes_an_open_book_answer_used(browser, tiny_engine, live_server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from labtune.retrieval import build_index
    from labtune.samples import LABNOTES

    index = build_index(LABNOTES, tmp_path / "index").index
    wait = WebDriverWait(browser, 60, poll_frequency=0.1)
    with live_server(create_app(tiny_engine, model_name="tiny", index=index)) as url:
        browser.get(url + "/")
        wait.until(lambda d: d.find_element(By.ID, "model-name").text == "tiny")
        browser.find_element(By.ID, "max-tokens").clear()
        browser.find_element(By.ID, "max-tokens").send_keys("4")
        ask(browser, wait, "Who presented on 4/14/2023?", answers=1)
        notes = browser.find_element(By.CSS_SELECTOR, ".msg.assistant .notes").text
        assert notes == "notes: 2023-04-14.md"
