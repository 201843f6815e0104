"""Phone layout (issue #15): at 390 × 844 every view fits the width (no horizontal
scrolling), and in a "predict first" lesson the question sits right under the plot."""

from __future__ import annotations

import pytest

from conftest import wait_digest

PHONE = {"width": 390, "height": 844}

# What is too wide: the elements whose right edge passes the viewport, for the message.
OVERFLOW = """() => {
    const W = document.documentElement.clientWidth, out = [];
    for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.width && r.right > W + 0.5 && !el.closest('[hidden]')) out.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(r.right)}`);
    }
    return {scroll: document.documentElement.scrollWidth, width: W, wide: out.slice(0, 8)};
}"""


def phone(opened, server, hash_):
    page = opened(server + hash_)
    page.set_viewport_size(PHONE)
    return page


def assert_fits(page):
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    o = page.evaluate(OVERFLOW)
    assert o["scroll"] <= o["width"], f"the page is {o['scroll']} px wide at {o['width']} px: {o['wide']}"


@pytest.mark.parametrize("view, ready", [
    ("landscape", ".landscape-view .loss-chart"),
    ("network", ".network-view"),
    ("projection", ".projection-view"),
    ("exercises", "#view > *"),
])
def test_every_view_fits_a_phone(opened, server, view, ready):
    page = phone(opened, server, f"#{view}")
    page.wait_for_function("(v) => window.descentlab.viewName === v", arg=view, timeout=120_000)
    page.wait_for_selector(ready, state="attached", timeout=120_000)
    if view == "landscape":
        wait_digest(page)
    page.wait_for_timeout(500)   # the view lays out its canvases once mounted
    assert_fits(page)


def test_predict_lesson_fits_and_asks_next_to_the_plot(opened, server):
    page = phone(opened, server, "#landscape?lesson=lr-too-high")
    page.wait_for_function("() => /hidden until you predict/.test(document.querySelector('.main .run-status')?.textContent)",
                           timeout=120_000)
    assert_fits(page)
    plot = page.locator(".landscape-canvas").bounding_box()
    question = page.locator(".lesson-card .predict-question").bounding_box()
    # the plot comes first, and the question is within one screen below it
    assert plot["y"] < question["y"]
    assert question["y"] - (plot["y"] + plot["height"]) < PHONE["height"], (plot, question)
    page.locator(".lesson-card button").first.click()
    page.wait_for_selector(".lesson-card .verdict")
    assert_fits(page)
