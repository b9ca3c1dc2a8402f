"""The arena page in a real headless Chromium: two anonymous answers, a vote, the names, the next question."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import chromium, needs_browser

from labtune.arena.web import create_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = needs_browser


@pytest.fixture
def browser():
    with chromium(window="1100,800") as driver:
        yield driver


def test_vote_reveals_the_names_and_next_deals_a_new_question(browser, arena, live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30, poll_frequency=0.1)
    by_id = lambda name: browser.find_element(By.ID, name)  # noqa: E731
    vote_button = lambda winner: browser.find_element(By.CSS_SELECTOR, f"button.vote[data-winner='{winner}']")  # noqa: E731
    with live_server(create_app(arena)) as url:
        browser.get(url + "/")
        wait.until(lambda d: vote_button("a").is_enabled() and by_id("answer-a").text)
        assert "3 models, 3 questions, 0 votes" in by_id("info").text
        question, first_a, first_b = by_id("question").text, by_id("answer-a").text, by_id("answer-b").text
        assert not by_id("name-a").is_displayed() and not by_id("name-b").is_displayed()  # anonymous
        assert not any(name in browser.page_source for name in arena.names)
        by_id("voter").send_keys("Jane")
        vote_button("b").click()
        wait.until(lambda d: by_id("name-a").is_displayed() and by_id("next").is_displayed())
        [vote] = arena.store.votes()
        assert (by_id("name-a").text, by_id("name-b").text) == (vote.model_a, vote.model_b)
        assert (vote.winner, vote.voter, vote.prompt) == ("model_b", "Jane", question)
        assert (vote.answer_a, vote.answer_b) == (first_a, first_b)
        assert "winner" in by_id("box-b").get_attribute("class")
        assert not vote_button("a").is_enabled()  # one vote per match
        wait.until(lambda d: "1 vote" in by_id("info").text)
        ARTIFACTS.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "arena-page-revealed.png"))

        by_id("next").click()
        wait.until(lambda d: vote_button("tie").is_enabled() and not by_id("name-a").is_displayed())
        vote_button("tie").click()
        wait.until(lambda d: by_id("name-a").is_displayed())
        votes = arena.store.votes()
        assert len(votes) == 2 and votes[1].winner == "tie" and votes[1].voter == "Jane"
        assert (by_id("name-a").text, by_id("name-b").text) == (votes[1].model_a, votes[1].model_b)
