"""The chat widget and the insights page in a real Chromium, against the real stack.

Each test gets a fresh browser context, so a fresh anonymous user.
Screenshots and axe reports go to tests/browser/results/ (git-ignored).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

pytest.importorskip("playwright", reason="playwright is not installed (pip install playwright)")
pytest.importorskip("pytest_playwright", reason="pytest-playwright is not installed")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.conftest import AXE_JS, CHROMIUM  # noqa: E402 - plain constants

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} not found: apt-get install chromium (CI installs it)", allow_module_level=True
    )

REPLY_TIMEOUT_MS = 45_000
SCORES = {"pain": 7, "fatigue": 5, "sleep_quality": 3, "stress": 6}
ENABLED_CHOICES = "#log button.choice:not([disabled])"


RICH_CHECKINS = [
    {
        "id": day,
        "created_at": f"2026-10-{day:02d}T09:30:00",
        "local_date": f"2026-10-{day:02d}",
        "pain": 4 + day % 5,
        "fatigue": 3 + day % 6,
        "sleep_quality": 8 - day % 6,
        "stress": 2 + day % 4,
        "note": None,
        "locations": None,
    }
    for day in range(1, 29)
]
RICH_INSIGHTS = {
    "n_days": 28,
    "measures": {
        "pain": {"avg_7d": 6.1, "avg_30d": 6.0, "trend_7d": -0.2, "days_7d": 7},
        "fatigue": {"avg_7d": 5.0, "avg_30d": 5.4, "trend_7d": 0.0, "days_7d": 7},
        "sleep_quality": {"avg_7d": 5.2, "avg_30d": 4.9, "trend_7d": 0.3, "days_7d": 7},
        "stress": {"avg_7d": 3.8, "avg_30d": 3.5, "trend_7d": None, "days_7d": 7},
    },
    "best_day": {
        "local_date": "2026-10-10",
        "pain": 4,
        "fatigue": 3,
        "sleep_quality": 8,
        "stress": 2,
    },
    "worst_day": {
        "local_date": "2026-10-27",
        "pain": 9,
        "fatigue": 8,
        "sleep_quality": 3,
        "stress": 5,
    },
    "flare": {
        "local_date": "2026-10-28",
        "measures": {"pain": {"value": 8.0, "baseline": 5.6}},
        "suggestion": "It may help to use your flare plan.",
    },
    "peg": {
        "scores": [
            {"local_date": "2026-10-07", "peg": 7.0},
            {"local_date": "2026-10-14", "peg": 6.0},
            {"local_date": "2026-10-21", "peg": 4.0},
        ],
        "latest": 4.0,
        "latest_local_date": "2026-10-21",
        "first": 7.0,
        "first_local_date": "2026-10-07",
        "n_weeks": 3,
        "change_pct": -42.9,
        "meaningful_improvement": True,
        "message": "Your PEG score went from 7.0 to 4.0, 43% lower.",
    },
    "correlations": {
        "pain_fatigue": {
            "r": 0.48,
            "n_days": 28,
            "caveat": "pattern, not proof",
            "message": "A moderate link.",
        },
        "sleep_next_day_pain": {
            "r": -0.55,
            "n_days": 27,
            "caveat": "pattern, not proof",
            "message": "A strong link.",
        },
        "sleep_next_day_fatigue": {
            "r": None,
            "n_days": 4,
            "caveat": "pattern, not proof",
            "message": "Check in on 3 more days.",
        },
    },
}


# ---------------------------------------------------------------- helpers


def open_chat(page: Page, path: str = "./") -> None:
    page.goto(path)
    page.wait_for_selector("body[data-ready='true']")
    expect(page.locator("#log")).to_have_attribute("role", "log")


def wait_for_reply(page: Page) -> None:
    """The widget sets aria-busy on the log while a reply is pending."""
    expect(page.locator("#log")).to_have_attribute("aria-busy", "false", timeout=REPLY_TIMEOUT_MS)


def measure_of(question: str) -> str:
    text = question.lower()
    if "sleep" in text:
        return "sleep_quality"
    if "fatigue" in text or "tired" in text:
        return "fatigue"
    if "stress" in text:
        return "stress"
    return "pain"


def current_question(page: Page) -> tuple[str, list[str]]:
    """The text of the bot turn holding the enabled buttons, and those buttons' payloads."""
    choices = page.locator(ENABLED_CHOICES)
    turn = choices.first.locator("xpath=ancestor::div[contains(@class,'turn')][1]")
    text = turn.locator(".bubble").first.text_content() or ""
    return text, [c.get_attribute("data-payload") or "" for c in choices.all()]


def run_checkin_by_buttons(
    page: Page, *, keyboard: bool = False, keep_weekly_offer: bool = False
) -> dict[str, int]:
    """Answer the check-in the bot runs with its buttons only; returns the scores given.

    The weekly questions offered after it are declined ("Not now"), unless
    keep_weekly_offer, which leaves the offer open."""
    given: dict[str, int] = {}
    for _ in range(12):
        wait_for_reply(page)
        if page.locator(ENABLED_CHOICES).count() == 0:
            break
        if keep_weekly_offer and page.locator(f"{ENABLED_CHOICES}[data-payload='/affirm']").count():
            break
        question, payloads = current_question(page)
        if all(p.startswith("/inform") for p in payloads):
            measure = measure_of(question)
            score = SCORES[measure]
            if keyboard:
                focused = page.evaluate("document.activeElement.dataset.payload || ''")
                assert focused.startswith("/inform"), "focus should be on the scale after a reply"
                page.keyboard.press("Home")
                for _ in range(score):
                    page.keyboard.press("ArrowRight")
                name = page.evaluate("document.activeElement.getAttribute('aria-label') || ''")
                assert name.startswith(f"{score} "), name
                page.keyboard.press("Enter")
            else:
                page.locator(ENABLED_CHOICES).filter(has_text=re.compile(rf"^{score}$")).click()
            given[measure] = score
        elif "/deny" in payloads and len(given) == 4:
            # "Nothing to add" for the optional note.
            if keyboard:
                page.keyboard.press("Enter")
            else:
                page.locator(f"{ENABLED_CHOICES}[data-payload='/deny']").click()
        else:
            break
    wait_for_reply(page)
    assert set(given) == set(SCORES), f"check-in asked for {sorted(given)} only"
    return given


def start_checkin(page: Page) -> None:
    page.get_by_role("button", name="Start a check-in").click()
    wait_for_reply(page)
    expect(page.locator(ENABLED_CHOICES).first).to_be_visible()


def answerable_scale(page: Page):
    """The bot turn holding the 0–10 scale that can be answered now."""
    return page.locator("#log .turn-bot").filter(
        has=page.locator(".choices-scale button.choice:not([disabled])")
    )


def open_insights(page: Page) -> None:
    page.goto("insights.html")
    page.wait_for_selector("body[data-ready='true']")


def axe_scan(page: Page, name: str, results_dir: Path) -> list[dict]:
    if not AXE_JS.exists():
        pytest.skip("node_modules/axe-core missing: run `npm ci`")
    # add_script_tag inlines the file, which the widget's CSP (rightly) blocks; evaluate()
    # goes through the DevTools protocol, which CSP does not apply to.
    page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: [
                'wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
        })"""
    )
    (results_dir / f"axe-{name}.json").write_text(json.dumps(result["violations"], indent=2))
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in violations
    )


# ---------------------------------------------------------------- tests


def test_checkin_by_buttons_then_insights_chart(page: Page, results_dir: Path) -> None:
    open_chat(page)
    expect(page.get_by_role("heading", name="Hi, I’m Cadence.")).to_be_visible()
    start_checkin(page)
    # Scale buttons carry the bands as their accessible names.
    expect(page.locator(ENABLED_CHOICES).filter(has_text=re.compile(r"^7$"))).to_have_attribute(
        "aria-label", "7 – severe"
    )
    given = run_checkin_by_buttons(page)

    # The chosen buttons are the user's turns; older buttons stay visible but disabled.
    user_turns = page.locator("#log .turn-user .bubble").all_text_contents()
    for score in given.values():
        assert str(score) in user_turns
    expect(page.locator("#log button.choice.chosen[data-payload^='/inform']")).to_have_count(4)
    assert page.locator("#log button.choice[disabled]").count() >= 4 * 11
    # Only the conversation scrolls: the header and the composer stay put.
    assert page.evaluate("window.scrollY") == 0
    expect(page.locator("header").get_by_role("button", name="Get help now")).to_be_in_viewport()
    expect(page.locator("#message")).to_be_in_viewport()
    page.screenshot(path=str(results_dir / "chat-desktop.png"))

    open_insights(page)
    expect(page.locator("#content")).to_be_visible()
    for measure, score in given.items():
        figure = page.locator(f"figure.chart[data-measure='{measure}']")
        expect(figure).to_have_attribute("data-points", "1")
        expect(figure.locator("canvas").first).to_be_visible()
        expect(figure.locator("figcaption")).to_contain_text(f"latest {score}/10")
        # uPlot drew the point: some pixels of the series colour are on the canvas.
        painted = figure.locator("canvas").first.evaluate(
            """(canvas) => {
                const d = canvas.getContext('2d')
                    .getImageData(0, 0, canvas.width, canvas.height).data;
                let coloured = 0;
                for (let i = 0; i < d.length; i += 4) {
                    const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
                    if (d[i + 3] > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
                }
                return coloured;
            }"""
        )
        assert painted > 20, f"no point drawn on the {measure} chart"
    expect(page.locator(".measure[data-measure='pain'] dd").first).to_have_text(str(given["pain"]))
    page.screenshot(path=str(results_dir / "insights-desktop.png"), full_page=True)


def test_reload_keeps_the_conversation(page: Page) -> None:
    open_chat(page)
    start_checkin(page)
    before = page.locator("#log .turn").all_text_contents()
    assert len(before) >= 2
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    after = page.locator("#log .turn").all_text_contents()
    assert after == before
    # The question is still answerable after the reload; older buttons are not.
    expect(page.locator(ENABLED_CHOICES)).to_have_count(11)
    expect(page.locator("#quick-starts")).to_be_hidden()


def test_start_over_clears_the_conversation(page: Page) -> None:
    open_chat(page)
    start_checkin(page)
    expect(page.locator("#log .turn-user")).to_have_count(1)

    page.locator("details.menu > summary").click()
    page.get_by_role("button", name="Start over").click()
    dialog = page.get_by_role("dialog", name="Start over?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Start over").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#log .turn-user")).to_have_count(0)

    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    expect(page.locator("#log .turn-user")).to_have_count(0)


def test_get_help_now_shows_crisis_contacts_without_typing(page: Page, results_dir: Path) -> None:
    open_chat(page)
    page.locator("header").get_by_role("button", name="Get help now").click()
    dialog = page.get_by_role("dialog", name="Get help now")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Showing contacts for")).to_have_value("GB")
    expect(dialog).to_contain_text("Samaritans")
    expect(dialog.locator("a[href='tel:999']")).to_be_visible()
    expect(dialog.locator("a[href='tel:116123']")).to_be_visible()
    expect(dialog.locator("a[href='sms:85258?body=SHOUT']")).to_be_visible()
    page.screenshot(path=str(results_dir / "help-dialog.png"))

    dialog.get_by_label("Showing contacts for").select_option("US")
    expect(dialog.locator("a[href='tel:988']")).to_be_visible()
    expect(dialog.locator("a[href='sms:741741?body=HOME']")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.locator("#log .turn").count() == 0, "opening help must not send anything"


def test_keyboard_only_checkin(page: Page) -> None:
    open_chat(page)
    # Tab from the top of the page to the quick start, as a keyboard user would.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Start a check-in":
            break
    else:
        pytest.fail("Start a check-in is not reachable with Tab")
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert outline[0] != "none" and outline[1] >= 2, f"no visible focus: {outline}"
    page.keyboard.press("Enter")
    run_checkin_by_buttons(page, keyboard=True)
    expect(page.locator("#log button.choice.chosen[data-payload^='/inform']")).to_have_count(4)


def test_axe_chat_and_insights(page: Page, results_dir: Path) -> None:
    open_chat(page)
    serious = axe_scan(page, "chat-welcome", results_dir)
    assert not serious, describe(serious)

    start_checkin(page)
    serious = axe_scan(page, "chat-checkin", results_dir)
    assert not serious, describe(serious)

    page.locator("header").get_by_role("button", name="Get help now").click()
    serious = axe_scan(page, "chat-help-dialog", results_dir)
    assert not serious, describe(serious)
    page.keyboard.press("Escape")

    run_checkin_by_buttons(page)
    open_insights(page)
    expect(page.locator("#content")).to_be_visible()
    serious = axe_scan(page, "insights", results_dir)
    assert not serious, describe(serious)

    # The parts that need weeks of data (flare, best/worst days, patterns with r):
    # same page, with the API's answers stubbed in the API's own shape.
    page.route("**/api/v1/me/checkins*", lambda route: route.fulfill(json=RICH_CHECKINS))
    page.route("**/api/v1/me/insights*", lambda route: route.fulfill(json=RICH_INSIGHTS))
    open_insights(page)
    expect(page.locator(".flare")).to_be_visible()
    expect(page.locator(".peg-card")).to_contain_text("43% lower")
    expect(page.locator(".peg-weeks li")).to_have_count(3)
    expect(page.locator(".pattern")).to_have_count(3)
    serious = axe_scan(page, "insights-rich", results_dir)
    assert not serious, describe(serious)
    page.screenshot(path=str(results_dir / "insights-rich.png"), full_page=True)


def test_phone_viewport(page: Page, results_dir: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_chat(page)
    start_checkin(page)

    def no_horizontal_overflow() -> None:
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"horizontal overflow: {widths}"

    no_horizontal_overflow()
    box = page.locator("#message").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844
    expect(page.locator("header").get_by_role("button", name="Get help now")).to_be_in_viewport()
    for choice in page.locator(ENABLED_CHOICES).all():
        size = choice.bounding_box()
        assert size["width"] >= 44 and size["height"] >= 44, size
    page.screenshot(path=str(results_dir / "chat-phone.png"))

    run_checkin_by_buttons(page)
    no_horizontal_overflow()
    assert page.evaluate("window.scrollY") == 0
    expect(page.locator("#message")).to_be_in_viewport()
    page.screenshot(path=str(results_dir / "chat-phone-after-checkin.png"))
    open_insights(page)
    no_horizontal_overflow()
    page.screenshot(path=str(results_dir / "insights-phone.png"), full_page=True)


@pytest.mark.parametrize(
    ("locale", "zone", "country", "number"),
    [("en-US", "America/New_York", "US", "988"), ("de-DE", "Europe/Berlin", "DE", "112")],
)
def test_help_dialog_follows_the_browser_locale(
    browser, browser_context_args: dict, locale: str, zone: str, country: str, number: str
) -> None:
    context = browser.new_context(**{**browser_context_args, "locale": locale, "timezone_id": zone})
    try:
        page = context.new_page()
        open_chat(page)
        page.locator("header").get_by_role("button", name="Get help now").click()
        dialog = page.get_by_role("dialog", name="Get help now")
        expect(dialog.get_by_label("Showing contacts for")).to_have_value(country)
        expect(dialog.locator(f"a[href='tel:{number}']")).to_be_visible()
    finally:
        context.close()


PAGE_WEIGHT_BUDGET = 100_000  # bytes on the wire for a first load of "/", uncompressed


def test_page_weight(page: Page, results_dir: Path) -> None:
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto("./", wait_until="networkidle")
    page.wait_for_selector("body[data-ready='true']")
    rows = []
    for request in finished:
        sizes = request.sizes()
        rows.append(
            {
                "url": request.url,
                "body": sizes["responseBodySize"],
                "headers": sizes["responseHeadersSize"],
            }
        )
    total = sum(r["body"] + r["headers"] for r in rows)
    (results_dir / "page-weight.json").write_text(
        json.dumps({"total_bytes": total, "requests": rows}, indent=2)
    )
    assert not [r for r in rows if "/vendor/" in r["url"]], "the chat must not load chart code"
    assert total < PAGE_WEIGHT_BUDGET, f"first load of / is {total} bytes"


def test_busy_and_unavailable_replies(page: Page) -> None:
    """429 shows "slow down" with the wait; 503 keeps the message with a "Try again"."""
    open_chat(page)
    # One handler answers the next two sends, then lets requests through: swapping
    # handlers with unroute/route between sends raced and let the 503 send reach the API.
    replies = iter(
        [
            {
                "status": 429,
                "headers": {"Retry-After": "7"},
                "json": {"detail": "Too many requests"},
            },
            {"status": 503, "json": {"detail": "Cadence can't answer"}},
        ]
    )

    def answer(route) -> None:
        reply = next(replies, None)
        if reply is None:
            route.continue_()
        else:
            route.fulfill(**reply)

    page.route("**/api/v1/chat", answer)
    page.locator("#message").fill("hello there")
    page.keyboard.press("Enter")
    expect(page.locator("#notice")).to_contain_text("slow down")
    expect(page.locator("#notice")).to_contain_text("7 seconds")
    expect(page.locator("#message")).to_have_value("hello there")  # nothing lost
    expect(page.locator("#log .turn-user")).to_have_count(0)

    page.keyboard.press("Enter")
    failed = page.locator("#log .turn-user.turn-failed")
    expect(failed).to_contain_text("your message was kept")
    failed.get_by_role("button", name="Try again").click()
    wait_for_reply(page)
    expect(page.locator("#log .turn-failed")).to_have_count(0)
    expect(page.locator("#log .turn-bot").first).to_be_visible()


def test_expired_token_starts_a_new_session(page: Page) -> None:
    page.goto("./")
    page.evaluate("localStorage.setItem('cadence.token', 'not-a-valid-token')")
    open_chat(page)
    expect(page.locator("#welcome")).to_be_visible()
    assert page.evaluate("localStorage.getItem('cadence.token')") is None
    start_checkin(page)
    token = page.evaluate("localStorage.getItem('cadence.token')")
    assert token and token != "not-a-valid-token"


def test_embed_script_opens_the_chat_in_a_frame(context, app_url: str) -> None:
    # A plain page: the frame's content is refused by the API's frame-ancestors 'none'
    # until FRAME_ANCESTORS allows the host, and that refusal is logged as a CSP error.
    page = context.new_page()
    page.set_content(
        "<!doctype html><title>Host</title><h1>Someone else's site</h1>"
        f'<script src="{app_url}/embed.js" data-cadence-origin="{app_url}" async></script>'
    )
    launcher = page.get_by_role("button", name="Chat with Cadence")
    expect(launcher).to_be_visible()
    launcher.click()
    frame = page.locator("iframe[title='Cadence chat']")
    expect(frame).to_have_attribute("src", f"{app_url}/?embed=1")
    expect(frame).to_be_visible()
    close = page.get_by_role("button", name="Close Cadence")
    expect(close).to_have_attribute("aria-expanded", "true")
    close.click()
    expect(frame).to_be_hidden()
    expect(launcher).to_be_focused()
    launcher.click()
    launcher_again = page.get_by_role("button", name="Close Cadence")
    launcher_again.focus()
    page.keyboard.press("Escape")
    expect(frame).to_be_hidden()


def test_export_and_delete_all_data(page: Page) -> None:
    open_chat(page)
    start_checkin(page)
    given = run_checkin_by_buttons(page)
    open_insights(page)

    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download CSV").click()
    csv_path = csv_download.value.path()
    assert csv_download.value.suggested_filename.endswith(".csv")
    content = Path(csv_path).read_text(encoding="utf-8")
    assert "pain" in content.splitlines()[0]
    assert str(given["pain"]) in content

    with page.expect_download() as pdf_download:
        page.get_by_role("button", name="Download PDF summary").click()
    assert pdf_download.value.suggested_filename.endswith(".pdf")
    assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF")

    page.get_by_role("button", name="Delete all my data").click()
    dialog = page.get_by_role("dialog", name="Delete all your data?")
    dialog.get_by_role("button", name="Keep my data").click()
    expect(page.locator("#content")).to_be_visible()

    page.get_by_role("button", name="Delete all my data").click()
    dialog.get_by_role("button", name="Delete everything").click()
    expect(page.locator("#notice")).to_contain_text("All your data has been deleted")
    expect(page.locator("#content")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('cadence.token')") is None

    open_chat(page)
    expect(page.locator("#log .turn")).to_have_count(0)
    expect(page.locator("#welcome")).to_be_visible()


def test_export_links_from_the_bot_download_with_the_token(page: Page) -> None:
    open_chat(page)
    start_checkin(page)
    run_checkin_by_buttons(page)
    page.locator("#message").fill("download my check-ins")
    page.keyboard.press("Enter")
    wait_for_reply(page)
    csv_button = page.locator("#log button[data-export-url*='format=csv']").last
    expect(csv_button).to_be_visible()
    with page.expect_download() as download:
        csv_button.click()
    assert download.value.suggested_filename.endswith(".csv")
    assert "pain" in Path(download.value.path()).read_text(encoding="utf-8")


HOSTILE_REPLY = {
    "messages": [
        {"text": "<img src=x onerror=\"document.body.dataset.pwned='1'\"> <b>bold</b>"},
        {
            "text": "[click](javascript:document.body.dataset.pwned='2') "
            "[plain](http://example.org/) [guide](https://www.nice.org.uk/guidance/ng193) "
            "call tel:116123 or see /insights.html"
        },
        {"buttons": [{"title": "<i>Yes</i>", "payload": "/affirm"}]},
    ]
}


def say_hi_and_get(page: Page, reply: dict) -> None:
    """Open the chat and say "hi"; the gateway answers with `reply` instead of the bot."""
    open_chat(page)
    page.route("**/api/v1/chat", lambda route: route.fulfill(json=reply))
    page.locator("#message").fill("hi")
    page.keyboard.press("Enter")
    wait_for_reply(page)


def test_bot_text_is_never_html_and_links_are_allow_listed(page: Page) -> None:
    say_hi_and_get(page, HOSTILE_REPLY)
    log = page.locator("#log")
    expect(log.locator(".turn-bot .bubble").first).to_have_text(
        "<img src=x onerror=\"document.body.dataset.pwned='1'\"> <b>bold</b>"
    )
    assert log.locator("img, b, i").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    hrefs = [a.get_attribute("href") for a in log.locator("a").all()]
    assert hrefs == [
        "https://www.nice.org.uk/guidance/ng193",
        "tel:116123",
        page.url.split("?")[0].rstrip("/") + "/insights.html",
    ], hrefs
    expect(log.locator("a[href^='https://www.nice']")).to_have_attribute(
        "rel", "noopener noreferrer"
    )
    expect(log).to_contain_text("[click](javascript:")
    expect(log.get_by_role("button", name="<i>Yes</i>")).to_be_visible()


def test_low_energy_mode_is_remembered_and_bigger(page: Page) -> None:
    open_chat(page)
    page.locator("details.menu > summary").click()
    switch = page.get_by_role("switch", name=re.compile("Low-energy mode"))
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    page.keyboard.press("Escape")
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    assert page.evaluate("document.documentElement.classList.contains('low-energy')")
    expect(page.locator("#tap-bar")).to_be_visible()  # tap-first: common asks as buttons
    page.locator("#tap-bar").get_by_role("button", name="Check in").click()
    wait_for_reply(page)
    for choice in page.locator(ENABLED_CHOICES).all():
        size = choice.bounding_box()
        assert size["width"] >= 56 and size["height"] >= 56, size
    transitions = page.evaluate(
        "getComputedStyle(document.querySelector('.btn')).transitionDuration"
    )
    assert set(transitions.replace("s", "").split(", ")) <= {"0"}, transitions


BANDED_LEGEND = "0 none · 1–3 mild · 4–6 moderate · 7–10 severe"
FREQUENCY = ["Not at all", "Several days", "More than half the days", "Nearly every day"]


def test_weekly_questions_label_peg_by_its_ends_and_mood_screens_as_plain_choices(
    page: Page, results_dir: Path
) -> None:
    """PEG items are 0–10 scales with their own ends; PHQ-2/GAD-2 answers (scored 0–3)
    are not a scale: their titles are their names, with no 0–10 legend."""
    open_chat(page)
    start_checkin(page)
    run_checkin_by_buttons(page, keep_weekly_offer=True)  # a new user: the weekly is due
    page.locator(ENABLED_CHOICES).filter(has_text="Yes, ask me").click()
    wait_for_reply(page)

    for item, score in (("enjoying life", 7), ("general activity", 5)):
        peg = answerable_scale(page)
        expect(peg).to_have_count(1)
        expect(peg.locator(".bubble")).to_contain_text(item)
        expect(peg.locator("button.choice").first).to_have_accessible_name("0 – not at all")
        expect(peg.locator("button.choice").last).to_have_accessible_name("10 – completely")
        expect(peg.locator("button.choice").nth(7)).to_have_accessible_name("7 out of 10")
        expect(peg.locator(".scale-legend span")).to_have_text(
            ["0 = not at all", "10 = completely"]
        )
        peg.locator("button.choice").filter(has_text=re.compile(rf"^{score}$")).click()
        wait_for_reply(page)

    page.locator(ENABLED_CHOICES).filter(has_text=re.compile(r"^Yes$")).click()  # mood consent
    wait_for_reply(page)
    _, payloads = current_question(page)
    assert payloads == [f'/inform{{"score": {n}}}' for n in range(4)], payloads
    choices = page.locator(ENABLED_CHOICES)
    turn = choices.first.locator("xpath=ancestor::div[contains(@class,'turn')][1]")
    expect(turn.locator(".bubble")).to_contain_text("little interest or pleasure")
    expect(choices).to_have_text(FREQUENCY)
    for index, title in enumerate(FREQUENCY):
        choice = choices.nth(index)
        expect(choice).to_have_accessible_name(title)
        assert choice.get_attribute("aria-label") is None and choice.get_attribute("title") is None
    expect(turn.locator(".scale-legend")).to_have_count(0)
    expect(turn.locator(".choices-scale")).to_have_count(0)
    expect(turn.get_by_role("group")).to_have_accessible_name(re.compile("little interest"))
    serious = axe_scan(page, "chat-mood-screen", results_dir)
    assert not serious, describe(serious)

    choices.filter(has_text="More than half the days").click()
    wait_for_reply(page)
    expect(page.locator("#log .turn-user .bubble").last).to_have_text("More than half the days")
    expect(page.locator(ENABLED_CHOICES)).to_have_text(FREQUENCY)  # the next screen item


def expect_fatigue_labels(scale) -> None:
    expect(scale.locator(".bubble")).to_contain_text("fatigue")
    expect(scale.locator("button.choice").first).to_have_accessible_name("0 – none")
    expect(scale.locator("button.choice").nth(7)).to_have_accessible_name("7 – severe")
    expect(scale.locator("button.choice").last).to_have_accessible_name("10 – severe")
    expect(scale.locator(".scale-legend")).to_have_text(BANDED_LEGEND)


def test_a_sleep_question_mid_checkin_does_not_relabel_the_fatigue_scale(page: Page) -> None:
    """The labels come from the question the buttons belong to, not from a sleep answer
    earlier in the same reply."""
    open_chat(page)
    start_checkin(page)
    page.locator(ENABLED_CHOICES).filter(has_text=re.compile(r"^7$")).click()  # pain
    wait_for_reply(page)
    expect_fatigue_labels(answerable_scale(page))

    page.locator("#message").fill("how does sleep affect pain?")
    page.keyboard.press("Enter")
    wait_for_reply(page)
    # The reply answers about sleep, then asks the fatigue question again.
    expect(page.locator("#log .turn-user .bubble").last).to_have_text("how does sleep affect pain?")
    said = page.locator("#log .turn-bot .bubble").all_text_contents()
    assert "sleep" in said[-2].lower() and "fatigue" in said[-1].lower(), said[-2:]
    fatigue = answerable_scale(page)
    expect(fatigue).to_have_count(1)
    expect_fatigue_labels(fatigue)

    # Rebuilt from the transcript after a reload: the same labels.
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    expect_fatigue_labels(answerable_scale(page))

    # The sleep question itself runs the other way round.
    answerable_scale(page).locator("button.choice").filter(has_text=re.compile(r"^5$")).click()
    wait_for_reply(page)
    sleep_scale = answerable_scale(page)
    expect(sleep_scale.locator(".bubble")).to_contain_text("sleep")
    expect(sleep_scale.locator("button.choice").first).to_have_accessible_name("0 – terrible")
    expect(sleep_scale.locator("button.choice").nth(3)).to_have_accessible_name("3 out of 10")
    expect(sleep_scale.locator("button.choice").last).to_have_accessible_name("10 – excellent")
    expect(sleep_scale.locator(".scale-legend span")).to_have_text(
        ["0 = terrible", "10 = excellent"]
    )


SCALE_BUTTONS = [{"title": str(n), "payload": f'/inform{{"score": {n}}}'} for n in range(11)]
CRAFTED_REPLY = {
    "messages": [
        {"text": "How well did you sleep last night? 0 = terrible, 10 = excellent."},
        {"buttons": SCALE_BUTTONS},  # buttons without text belong to the question before
        {"text": "Pick one.", "buttons": SCALE_BUTTONS[:6]},  # not a full 0–10 set
    ]
}


def test_buttons_without_text_take_the_question_before_them(page: Page) -> None:
    """Crafted reply (the real bot always sends a question's text with its buttons)."""
    say_hi_and_get(page, CRAFTED_REPLY)
    scale = page.locator("#log .choices-scale")
    expect(scale).to_have_count(1)
    expect(scale).to_have_accessible_name(re.compile("How well did you sleep"))
    expect(scale.locator("button.choice").first).to_have_accessible_name("0 – terrible")
    partial = page.locator("#log .turn-bot").last
    expect(partial.locator(".scale-legend")).to_have_count(0)
    expect(partial.locator("button.choice").nth(3)).to_have_accessible_name("3")
