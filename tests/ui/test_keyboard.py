"""The keyboard alone: Tab to a run's row and open it, Tab to a graph node and open its task,
Tab to Terminate and press it; every stop shows where the focus is."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.ui.conftest import start_run

LONG = 90_000
MAX_TABS = 80


def _tab_to(page: Page, selector: str, text: str | None = None) -> None:
    """Press Tab until an element matching `selector` (with `text`, if given) has the focus."""
    check = """([s, t]) => {
      const el = document.activeElement;
      return !!el && el.matches(s) && (t === null || el.textContent.trim() === t);
    }"""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(check, [selector, text]):
            return
    raise AssertionError(f"{selector} {text or ''} not reached with {MAX_TABS} Tabs")


def _focus_shows(page: Page) -> bool:
    """The focused element is drawn differently from the same element unfocused."""
    return bool(
        page.evaluate(
            """() => {
              const el = document.activeElement;
              const card = el.querySelector(":scope > rect.card");
              if (card) return getComputedStyle(card).strokeWidth === "3px";
              return getComputedStyle(el).outlineStyle !== "none";
            }"""
        )
    )


def test_open_a_run_a_task_and_terminate_by_keyboard(
    page: Page, server: str, demo_pipeline: str, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    start_run(server, demo_pipeline, "keys-run", seconds=120.0, gate=str(gate))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{server}/runs?q=keys-run")
    link = 'table.runs tbody tr a[href^="/runs/"]'
    expect(page.locator(link)).to_have_count(1)
    _tab_to(page, link)
    assert _focus_shows(page)
    page.keyboard.press("Enter")
    expect(page.locator(".run-head h1")).to_contain_text("keys-run")
    # The new page has the focus at its content: the next Tabs walk the run, not the menu.
    assert page.evaluate("document.activeElement.id") == "app"

    node = 'g.node[data-task="wait"]'
    expect(page.locator(node)).to_have_attribute("data-state", "RUNNING", timeout=LONG)
    _tab_to(page, node)
    assert _focus_shows(page)
    page.keyboard.press("Enter")
    title = page.locator(".task-panel h2")
    expect(title).to_have_text("wait")
    expect(title).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(".task-panel")).to_be_hidden()
    expect(page.locator(node)).to_be_focused()

    page.keyboard.press("Shift+Tab")
    _tab_to(page, ".run-head button", "Terminate")
    assert _focus_shows(page)
    page.keyboard.press("Enter")
    expect(page.locator(".run-head h1")).to_contain_text("CANCELED", timeout=LONG)
    expect(page.locator(node)).to_have_attribute("data-state", "CANCELED", timeout=LONG)
