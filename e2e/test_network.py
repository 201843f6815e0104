"""The network view in Chromium: datasets (presets, words, CSV, a model endpoint), training, scrubbing, sharing."""

from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import native

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
QUICK = "#network?epochs=6&dataset=" + json.dumps({"name": "moons", "n": 200, "noise": 0.2, "seed": 0})



def view(page, what):
    return page.evaluate(f"() => window.descentlab.view.{what}")


@pytest.fixture
def network(opened, server):
    page = opened(server + QUICK)
    page.wait_for_function("() => window.descentlab.view && window.descentlab.view.data", timeout=60_000)
    return page


def train(page, timeout=180_000):
    old = page.evaluate("() => document.querySelector('#view').dataset.digest || ''")
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function("(old) => (document.querySelector('#view').dataset.digest || '') !== old",
                           arg=old, timeout=timeout)
    return page.evaluate("() => document.querySelector('#view').dataset.digest")


def test_train_streams_and_matches_native(network):
    page = network
    page.get_by_role("button", name="Train", exact=True).click()
    # the charts fill epoch by epoch before the run ends
    page.wait_for_function("() => /Epoch \\d+ of/.test(document.querySelector('.run-status').textContent)"
                           " || /Trained/.test(document.querySelector('.run-status').textContent)")
    page.wait_for_function("() => document.querySelector('#view').dataset.digest", timeout=180_000)
    digest = page.evaluate("() => document.querySelector('#view').dataset.digest")
    spec = view(page, "spec")
    assert digest == native(spec)["digest"]
    assert page.locator(".boundary canvas").count() == len(spec["optimizers"])
    assert "val acc" in page.locator(".opt-item summary").first.inner_text()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "network.png"), full_page=True)
    # scrub back to an early epoch: the boundaries follow
    page.locator(".main .timeline-range").fill("1")
    page.locator(".main .timeline-range").dispatch_event("input")
    assert "epoch 0" in page.locator(".boundary figcaption").first.inner_text() or \
        "epoch 1" in page.locator(".boundary figcaption").first.inner_text()


def train_for_a_while_then_stop(page):
    """Start a 400-epoch training, press Stop after its third epoch, wait for "Stopped after epoch k"."""
    page.locator("[data-field='epochs']").fill("400")
    page.locator("[data-field='epochs']").press("Enter")
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function("() => /Epoch [3-9]\\d* of/.test(document.querySelector('.run-status').textContent)",
                           timeout=120_000)
    page.locator(".panel.main").get_by_role("button", name="Stop", exact=True).click()  # not the tune panel's Stop
    page.wait_for_function("() => /Stopped after epoch/.test(document.querySelector('.run-status').textContent)",
                           timeout=30_000)


def test_stop_keeps_what_was_trained(network):
    page = network
    train_for_a_while_then_stop(page)
    assert page.get_by_role("button", name="Train", exact=True).is_enabled()
    assert page.locator(".boundary canvas").count() >= 1  # the partial boundaries stay


def test_describe_in_words_makes_a_recipe_and_trains_on_it(network):
    page = network
    page.get_by_role("tab", name="Describe in words").click()
    page.get_by_label("Describe the dataset in words").fill("three interleaved spirals with a little noise, 300 points")
    page.get_by_role("button", name="Make dataset").click()
    page.wait_for_function("() => document.querySelector('textarea.recipe').value.includes('spirals')")
    assert "Understood" in page.locator(".ds-controls .hint").first.inner_text() or \
        "Understood" in page.locator(".ds-controls").inner_text()
    recipe = json.loads(page.locator("textarea.recipe").input_value())
    assert recipe["components"][0]["generator"] == "spirals" and recipe["components"][0]["classes"] == 3
    digest = train(page)
    spec = view(page, "spec")
    assert spec["dataset"]["recipe"] == recipe
    assert digest == native(spec)["digest"]


def test_csv_upload_and_errors_with_line_numbers(network, tmp_path):
    page = network
    page.get_by_role("tab", name="Upload CSV").click()
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,2,a\n3,4\n5,6,b\n")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.wait_for_function("() => !document.querySelector('.network-view .message:not(.tune-message)').hidden")
    message = page.locator(".network-view .message:not(.tune-message)").inner_text()
    assert "line 3" in message
    good = tmp_path / "good.csv"
    rows = ["f1,f2,f3,kind"] + [f"{i % 7},{(i * 3) % 11},{i / 10},{'ab'[i % 2]}" for i in range(60)]
    good.write_text("\n".join(rows) + "\n")
    page.get_by_label("CSV file").set_input_files(str(good))
    page.wait_for_function("() => /60 points, 3 features/.test(document.querySelector('.network-view .side').textContent)")
    assert "principal components" in page.locator(".side").inner_text()
    digest = train(page)
    assert digest == native(view(page, "spec"))["digest"]


class FakeModel(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint on 127.0.0.1 that answers with a fixed text."""
    answer = ""

    def _cors(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "Content-Type, Authorization")

    def do_OPTIONS(self):
        self.send_response(204)
        self._cors()
        self.end_headers()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"choices": [{"message": {"role": "assistant", "content": type(self).answer}}]}).encode()
        self.send_response(200)
        self._cors()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_model():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeModel)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1/chat/completions"
    httpd.shutdown()


def test_model_endpoint_answer_is_validated(network, fake_model):
    page = network
    page.get_by_role("tab", name="Describe in words").click()
    page.locator("details.llm summary").click()
    page.get_by_label("Chat completions URL").fill(fake_model)
    page.get_by_label("Chat completions URL").dispatch_event("change")
    page.get_by_label("Describe the dataset in words").fill("two moons")
    FakeModel.answer = 'Sure!\n```json\n{"components": [{"generator": "circles", "n": 240, "noise": 0.05}], "seed": 3}\n```'
    page.get_by_role("button", name="Ask my model").click()
    page.wait_for_function("() => document.querySelector('textarea.recipe').value.includes('circles')")
    # an invalid answer is refused and the built-in parser's recipe is offered instead
    FakeModel.answer = '{"components": [{"generator": "rm -rf /", "n": 99999999}]}'
    page.get_by_role("button", name="Ask my model").click()
    page.wait_for_function("() => document.querySelector('textarea.recipe').value.includes('moons')")
    assert "could not be used" in page.locator(".ds-controls").inner_text()


def test_bad_values_name_the_field(network):
    page = network
    hidden = page.locator("[data-field='model.hidden']")
    hidden.fill("16, abc")
    hidden.press("Enter")
    assert "hidden layers must be" in page.locator("#hidden-err").inner_text()
    page.locator("[data-field='batch_size']").fill("0")
    page.locator("[data-field='batch_size']").press("Enter")
    assert "Batch size must be between" in page.locator(".field-error", has_text="Batch size").inner_text()
    page.locator("[data-field='dataset.noise']").fill("99")
    page.locator("[data-field='dataset.noise']").press("Enter")
    assert "noise must be between" in page.locator(".field-error", has_text="noise").inner_text()
    # a refused hidden-layer list blocks Train (test_bad_hidden_layers_block_train); once it is
    # fixed, the page trains with the last good values of the other fields
    hidden.fill("16, 8")
    hidden.press("Enter")
    assert page.locator("#hidden-err").inner_text() == ""
    digest = train(page)
    assert digest == native(view(page, "spec"))["digest"]


def test_url_round_trip_and_exports(network, opened):
    page = network
    digest = train(page)
    url = page.url
    other = opened(url)
    other.wait_for_function("() => window.descentlab.view && window.descentlab.view.data", timeout=60_000)
    assert train(other) == digest
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text())))
    assert rows[0][:3] == ["run", "optimizer", "epoch"] and len(rows) > 3
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export JSON").click()
    assert json.loads(Path(dl.value.path()).read_text())["result"]["digest"] == digest
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export PNG").click()
    assert Path(dl.value.path()).read_bytes()[:4] == b"\x89PNG"


# "Ask my model" against a routed endpoint: nothing listens at this address, page.route
# answers (or holds) every request to it, so nothing leaves 127.0.0.1.
LLM_URL = "http://127.0.0.1:9/v1/chat/completions"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type, Authorization"}


def llm_answer(content):
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})


class HeldModel:
    """Routes LLM_URL; each chat request is held until the test answers it."""

    def __init__(self, page):
        self.page = page
        self.held = []
        page.route(LLM_URL, self._route)

    def _route(self, route):
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=CORS)
            return
        self.held.append(route)
        # tell the page, so the test can wait for it (on page state, not on time)
        self.page.evaluate("(n) => { window.__llmRequests = n; }", len(self.held))

    def wait(self, n=1):
        self.page.wait_for_function("(n) => window.__llmRequests >= n", arg=n, timeout=30_000)

    def answer(self, content, i=-1):
        self.held[i].fulfill(status=200, headers={**CORS, "Content-Type": "application/json"}, body=llm_answer(content))


def setup_model(page, timeout=None):
    page.get_by_role("tab", name="Describe in words").click()
    page.locator("details.llm summary").click()
    page.get_by_label("Chat completions URL").fill(LLM_URL)
    page.get_by_label("Chat completions URL").dispatch_event("change")
    if timeout is not None:
        page.get_by_label("Timeout in seconds").fill(str(timeout))
        page.get_by_label("Timeout in seconds").dispatch_event("change")


def words(page):
    return page.locator(".llm-words").inner_text()


CIRCLES = '```json\n{"components": [{"generator": "circles", "n": 240, "noise": 0.05}], "seed": 3}\n```'


def test_a_late_model_answer_never_overwrites_a_newer_dataset(network):
    page = network
    model = HeldModel(page)
    setup_model(page)
    page.get_by_label("Describe the dataset in words").fill("two circles")
    page.get_by_role("button", name="Ask my model").click()
    model.wait()
    assert page.get_by_role("button", name="Cancel").is_visible()
    # meanwhile the learner makes another dataset with the built-in parser
    page.get_by_label("Describe the dataset in words").fill("three interleaved spirals, 300 points")
    page.get_by_role("button", name="Make dataset").click()
    page.wait_for_function("() => window.descentlab.view.spec.dataset.recipe"
                           " && JSON.stringify(window.descentlab.view.spec.dataset.recipe).includes('spirals')")
    page.wait_for_function("() => window.descentlab.view.data && window.descentlab.view.data.classes === 3", timeout=60_000)
    # now the model's answer arrives: it is dropped, with a note
    model.answer(CIRCLES)
    page.wait_for_function("() => /arrived after the dataset had changed/.test(document.querySelector('.llm-words').textContent)")
    assert "spirals" in page.locator("textarea.recipe").input_value()
    assert "circles" not in json.dumps(view(page, "spec")["dataset"])
    assert view(page, "data")["classes"] == 3
    assert page.get_by_role("button", name="Cancel").is_hidden()
    # a fresh question is answered and used
    page.get_by_role("button", name="Ask my model").click()
    model.wait(2)
    model.answer(CIRCLES)
    page.wait_for_function("() => document.querySelector('textarea.recipe').value.includes('circles')")
    page.wait_for_function("() => JSON.stringify(window.descentlab.view.spec.dataset).includes('circles')")


def test_model_request_can_be_cancelled_and_times_out(network):
    page = network
    model = HeldModel(page)
    setup_model(page, timeout=2)
    page.get_by_label("Describe the dataset in words").fill("two circles")
    before = page.locator("textarea.recipe").input_value()
    page.get_by_role("button", name="Ask my model").click()
    model.wait()
    assert page.get_by_role("button", name="Ask my model").is_disabled()
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_function("() => /Cancelled/.test(document.querySelector('.llm-words').textContent)")
    assert page.locator("textarea.recipe").input_value() == before      # nothing made
    assert page.get_by_role("button", name="Ask my model").is_enabled()
    # no answer within the timeout (2 s here; 60 s unless set): the built-in parser's recipe
    page.get_by_role("button", name="Ask my model").click()
    page.wait_for_function("() => /did not answer within 2 s/.test(document.querySelector('.llm-words').textContent)",
                           timeout=30_000)
    page.wait_for_function("() => document.querySelector('textarea.recipe').value.includes('circles')")
    assert page.get_by_role("button", name="Cancel").is_hidden()


def test_model_answer_over_the_size_cap_is_refused(network):
    page = network
    page.evaluate("() => { window.__pythonCalls = []; const call = window.descentlab.call;"
                  " window.descentlab.call = (fn, ...a) => { window.__pythonCalls.push(fn); return call(fn, ...a); }; }")
    model = HeldModel(page)
    setup_model(page)
    page.get_by_label("Describe the dataset in words").fill("two circles")
    # 25,000 characters: over the 20,000 Python reads (describe.MAX_ANSWER_CHARS)
    page.get_by_role("button", name="Ask my model").click()
    model.wait(1)
    model.answer(CIRCLES + " " * 25_000)
    page.wait_for_function("() => /25\\d{3} characters long; at most 20000/.test(document.querySelector('.llm-words').textContent)")
    # 1 MB: not even read to the end
    page.get_by_role("button", name="Ask my model").click()
    model.wait(2)
    model.answer("x" * 1_000_000)
    page.wait_for_function("() => /larger than \\d+ KB/.test(document.querySelector('.llm-words').textContent)")
    assert "parse_llm_answer" not in page.evaluate("() => window.__pythonCalls")
    assert "could not be used" in words(page)


def test_snapshots_are_spaced_by_the_core_and_errors_name_page_controls(network):
    page = network
    spec = view(page, "spec")
    assert spec["snapshot_every"] == "auto"
    digest = train(page)
    assert digest == native(view(page, "spec"))["digest"]
    # an error the core reports for a field is shown under the name of the control that sets it
    hidden = page.locator("[data-field='model.hidden']")
    hidden.fill("256, 256, 256")
    hidden.press("Enter")
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function("() => !document.querySelector('.network-view .message:not(.tune-message)').hidden", timeout=60_000)
    message = page.locator(".network-view .message:not(.tune-message)").inner_text()
    assert message.startswith("Hidden layer widths: "), message
    assert hidden.get_attribute("aria-invalid") == "true"
    assert "snapshot_every" not in message and "model.hidden" not in message


# --- issue #15: every chart keyed, a phone layout, Stop leaves a usable run ---------------

DOCS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def overflow(page):
    """How many CSS pixels the page is wider than its window (0: nothing runs off the screen)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def notice(page):
    page.wait_for_function("() => !document.querySelector('#notice').hidden")
    text = page.locator("#notice-text").inner_text()
    page.evaluate("() => { document.querySelector('#notice').hidden = true; }")
    return text


@pytest.mark.parametrize("width, height", [(390, 844), (1280, 800)])
def test_charts_have_keys_and_fit_the_width(network, width, height):
    page = network
    page.set_viewport_size({"width": width, "height": height})
    train(page)
    runs = len(view(page, "spec")["optimizers"])
    keys = page.locator(".network-view .chart-wrap .legend")
    assert keys.count() == 3
    for k in range(3):  # one entry per run on each chart, named as the optimizer list names it
        assert keys.nth(k).locator(".key-item .swatch").count() == runs
    assert "1. SGD" in keys.first.inner_text() and "moving average" in keys.first.inner_text()
    assert overflow(page) <= 0
    if width < 500:  # the plot comes first on a phone
        main = page.locator(".network-view .main").bounding_box()
        side = page.locator(".network-view .side").bounding_box()
        assert main["y"] < side["y"]
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / f"network-{width}.png"), full_page=True)


def test_before_training_a_sentence_stands_where_the_charts_will_be(network):
    """No empty axes before the first training (on a phone they were three screens of them
    above the dataset): a sentence says what Train will draw; the charts appear once it
    trains, and the dataset's panel starts within the phone's first screen."""
    page = network
    page.set_viewport_size({"width": 390, "height": 844})
    hint = page.locator(".network-view .untrained")
    assert hint.is_visible() and "Press Train" in hint.inner_text()
    assert not page.locator(".network-view .charts").is_visible()
    assert not page.locator(".network-view .boundaries").is_visible()
    assert page.locator(".network-view .side").bounding_box()["y"] < 844
    # pressed, the charts take its place at once (they fill epoch by epoch)
    old = page.evaluate("() => document.querySelector('#view').dataset.digest || ''")
    assert page.evaluate("""() => {
        [...document.querySelectorAll('.network-view button')].find((b) => b.textContent === 'Train').click();
        return document.querySelector('.network-view .untrained').hidden && !document.querySelector('.network-view .results').hidden;
    }""")
    page.wait_for_function("(old) => (document.querySelector('#view').dataset.digest || '') !== old", arg=old, timeout=180_000)
    assert not hint.is_visible()
    assert page.locator(".network-view .charts canvas").first.is_visible()
    assert page.locator(".network-view .charts canvas").first.bounding_box()["width"] > 200
    assert page.locator(".boundary canvas").count() == len(view(page, "spec")["optimizers"])
    assert overflow(page) <= 0


def test_smoothed_loss_is_drawn_from_python(network):
    page = network
    train(page)
    result = view(page, "result")
    assert all(len(r["train_loss_ema"]) == len(r["train_loss"]) for r in result["runs"])
    page.get_by_label("smooth the per-step loss (moving average)").uncheck()
    assert "moving average" not in page.locator(".network-view .chart-wrap .legend").first.inner_text()


def test_exports_before_training_say_why_and_after_stop_export_what_was_trained(network):
    page = network
    page.get_by_role("button", name="Export CSV").click()
    assert "press Train first" in notice(page)
    page.get_by_role("button", name="Export JSON").click()
    assert "press Train first" in notice(page)
    train_for_a_while_then_stop(page)
    # the epoch slider scrubs what was trained
    scrub = page.locator(".main .timeline-range")
    assert scrub.is_enabled()
    done = int(scrub.get_attribute("max"))
    assert 3 <= done < 400
    scrub.fill("1")
    scrub.dispatch_event("input")
    assert "epoch 1 /" in page.locator(".main .step-label").inner_text()
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text())))
    assert rows[0][:3] == ["run", "optimizer", "epoch"]
    assert max(int(r[2]) for r in rows[1:]) == done
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export JSON").click()
    saved = json.loads(Path(dl.value.path()).read_text())
    assert saved["stopped_after_epoch"] == done and len(saved["partial"]["runs"]) == 3
    # the Projection view takes exactly the epochs trained
    stored = page.evaluate("() => JSON.parse(sessionStorage.getItem('descentlab.lastNetworkSpec'))")
    assert stored["epochs"] == done


def test_bad_hidden_layers_block_train(network):
    page = network
    box = page.locator("[data-field='model.hidden']")
    box.fill("0, 500")
    box.press("Enter")
    box.dispatch_event("change")
    page.get_by_role("button", name="Train", exact=True).click()
    message = page.locator(".network-view .message:not(.tune-message)")
    assert not message.is_hidden()
    assert "Hidden layer widths" in message.inner_text() and "not used" in message.inner_text()
    assert page.locator(".run-status").inner_text() == ""   # nothing started
    assert view(page, "result") is None


def test_low_accuracy_says_why(opened, server):
    url = server + "#network?epochs=3&model=" + json.dumps({"hidden": [2], "activation": "tanh"}) + \
        "&dataset=" + json.dumps({"name": "checkerboard", "n": 300, "noise": 0.1, "seed": 0})
    page = opened(url)
    page.wait_for_function("() => window.descentlab.view && window.descentlab.view.data", timeout=60_000)
    train(page)
    verdict = page.locator(".network-view .verdict")
    assert verdict.is_visible()
    text = verdict.inner_text()
    assert "too small" in text and "[2]" in text and "3 epochs" in text


def test_rejected_csv_keeps_the_data_and_sizes_are_in_file_terms(network, tmp_path):
    page = network
    before = view(page, "data")["n"]
    page.get_by_role("tab", name="Upload CSV").click()
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,2,a\n3,4\n5,6,b\n")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.wait_for_function("() => !document.querySelector('.network-view .message:not(.tune-message)').hidden")
    message = page.locator(".network-view .message:not(.tune-message)").inner_text()
    assert "line 3" in message and "unchanged" in message
    # the picker does not name the refused file, and the old data is still what trains
    assert page.evaluate("() => document.querySelector('[data-field=\"dataset.csv\"]').value") == ""
    assert view(page, "data")["n"] == before and "dataset" in view(page, "spec") and \
        "name" in view(page, "spec")["dataset"]
    big = tmp_path / "big.csv"
    line = "1.0,2.0,a\n"
    big.write_text("x1,x2,label\n" + line * (3 * 1024 * 1024 // len(line)))
    page.get_by_label("CSV file").set_input_files(str(big))
    page.wait_for_function("() => /MB/.test(document.querySelector('.network-view .message:not(.tune-message)').textContent)")
    message = page.locator(".network-view .message:not(.tune-message)").inner_text()
    assert "big.csv is 3.0 MB" in message and "at most 2 MB" in message and "rows" in message
    assert "characters" not in message
    good = tmp_path / "good.csv"
    good.write_text("f1,f2,kind\n" + "".join(f"{i % 7},{(i * 3) % 11},{'ab'[i % 2]}\n" for i in range(40)))
    page.get_by_label("CSV file").set_input_files(str(good))
    page.wait_for_function("() => /Loaded: good.csv/.test(document.querySelector('.csv-loaded').textContent)")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.wait_for_function("() => /Still using good.csv/.test(document.querySelector('.network-view .message:not(.tune-message)').textContent)")
    assert view(page, "data")["n"] == 40
    # a link cannot carry the file: Copy link says so
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy link").click()
    assert "without your uploaded CSV" in notice(page)


def test_runs_of_one_optimizer_are_told_apart(opened, server):
    """Issue #15 item 4: two SGD runs that differ in lr are named by it in every chart key,
    every boundary figure, the optimizer list and the inspector."""
    opts = [{"name": "sgd", "params": {"lr": 0.05}}, {"name": "sgd", "params": {"lr": 0.3}}, {"name": "adam"}]
    page = opened(server + QUICK.replace("epochs=6", "epochs=2") + "&optimizers=" + json.dumps(opts))
    page.wait_for_function("() => window.descentlab.view && window.descentlab.view.data", timeout=60_000)
    train(page)
    names = ["1. SGD lr=0.05", "2. SGD lr=0.3", "3. Adam"]
    for key in page.locator(".network-view .chart-wrap .legend").all():
        assert [t for t in key.locator(".key-item").all_inner_texts()][:3] == names
    captions = page.locator(".boundary figcaption").all_inner_texts()
    assert [c.split(" · ")[0] for c in captions] == names
    assert [t.split(" · ")[0].split("\n")[0] for t in page.locator(".opt-item .opt-title").all_inner_texts()] == names
    assert page.locator("select[name='inspect-run'] option").all_inner_texts() == names
    page.wait_for_function("() => /SGD lr=0.05 — step/.test(document.querySelector('.net-inspector').textContent)",
                           timeout=60_000)


# A run() started from the page with every progress item counted; window.__held holds it.
HOLD_RUN = """(spec) => {
    const t = window.__held = {items: 0, epochs: 0, result: null, error: null};
    t.run = window.descentlab.run(spec, {onProgress: (p) => { t.items += 1; t.epochs = p.done; }});
    t.run.then((r) => { t.result = r; }, (e) => { t.error = e.kind; });
}"""


def test_pause_holds_a_run_step_advances_one_chunk_resume_ends_it_as_uninterrupted(network):
    """descentlab.pause/resume/stepOnce (worker messages pause, resume, step): a paused run
    posts no progress, a step posts exactly one more item and pauses again, and the result
    resumed is bit for bit the uninterrupted run's."""
    page = network
    spec = {**view(page, "spec"), "epochs": 40}
    page.evaluate(HOLD_RUN, spec)
    page.wait_for_function("() => window.__held.items >= 3", timeout=120_000)
    state = page.evaluate("() => window.descentlab.pause(window.__held.run)")
    assert state["running"] and state["paused"] and state["total"] == 40
    held = page.evaluate("() => window.__held.items")
    page.wait_for_timeout(1500)
    assert page.evaluate("() => window.__held.items") == held   # nothing pulled while paused
    for k in range(1, 4):
        stepped = page.evaluate("() => window.descentlab.stepOnce(window.__held.run)")
        assert stepped["paused"] and not stepped["finished"]
        assert page.evaluate("() => window.__held.items") == held + k   # its one chunk, reported before the answer
    page.wait_for_timeout(800)
    assert page.evaluate("() => window.__held.items") == held + 3
    assert page.evaluate("() => window.__held.result") is None
    resumed = page.evaluate("() => window.descentlab.resume(window.__held.run)")
    assert resumed["running"] and not resumed["paused"]
    page.wait_for_function("() => window.__held.result", timeout=180_000)
    assert page.evaluate("() => window.__held.result.digest") == native(spec)["digest"]
    # after its end the run is not held by anything: the calls say so instead of failing
    late = page.evaluate("() => Promise.all([window.descentlab.pause(window.__held.run), window.descentlab.stepOnce(window.__held.run)])")
    assert [s["running"] for s in late] == [False, False] and late[1]["finished"]
    # a paused run can still be cancelled
    page.evaluate(HOLD_RUN, spec)
    page.wait_for_function("() => window.__held.items >= 1", timeout=120_000)
    page.evaluate("() => window.descentlab.pause(window.__held.run)")
    page.evaluate("() => window.descentlab.cancel(window.__held.run)")
    page.wait_for_function("() => window.__held.error === 'Cancelled'", timeout=30_000)
    # a bad target is answered, by seq
    reply = page.evaluate("() => window.descentlab._postRaw({type: 'pause', target: {}})")
    assert reply["type"] == "error" and reply["error"]["kind"] == "BadMessage" and "target" in reply["error"]["message"]


def test_pause_step_and_resume_buttons(network):
    """Issue #15 item 7: Pause holds training (the epoch slider and charts show what was
    trained), Step trains exactly one more epoch, Resume finishes the same run as without a
    pause (the native digest)."""
    page = network
    page.locator("[data-field='epochs']").fill("40")
    page.locator("[data-field='epochs']").press("Enter")
    status = page.locator(".network-view .run-status")
    scrub = page.locator(".main .timeline-range")
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function("() => /Epoch ([2-9]|\\d\\d) of/.test(document.querySelector('.run-status').textContent)",
                           timeout=120_000)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_function("() => /Paused after epoch/.test(document.querySelector('.run-status').textContent)")
    page.wait_for_timeout(1500)
    text = status.inner_text()
    k = int(text.split("Paused after epoch ")[1].split(" ")[0])
    assert k >= 1 and scrub.is_enabled() and int(scrub.get_attribute("max")) == k
    page.wait_for_timeout(1500)
    assert status.inner_text() == text and int(scrub.get_attribute("max")) == k   # held
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function("(k) => document.querySelector('.run-status').textContent.includes(`Paused after epoch ${k + 1} of`)", arg=k)
    assert int(scrub.get_attribute("max")) == k + 1 and scrub.input_value() == str(k + 1)
    assert page.get_by_role("button", name="Step", exact=True).is_enabled()
    keys = page.locator(".network-view .chart-wrap .legend").first.inner_text()
    assert "1. SGD" in keys
    Path("/tmp/shots").mkdir(parents=True, exist_ok=True)   # to look at, not for the docs
    for w, h in [(1280, 800), (390, 844)]:
        page.set_viewport_size({"width": w, "height": h})
        page.locator(".main .timeline").first.scroll_into_view_if_needed()
        page.screenshot(path=f"/tmp/shots/network-paused-{w}.png")
    scrub.fill("1")
    scrub.dispatch_event("input")
    assert page.locator(".main .step-label").inner_text() == f"epoch 1 / {k + 1}"
    with page.expect_download() as dl:   # what the paused run trained can be exported
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text())))
    assert max(int(r[2]) for r in rows[1:]) == k + 1
    page.get_by_role("button", name="Resume", exact=True).click()
    page.wait_for_function("() => document.querySelector('#view').dataset.digest", timeout=240_000)
    assert page.evaluate("() => document.querySelector('#view').dataset.digest") == native(view(page, "spec"))["digest"]
    assert page.get_by_role("button", name="Pause", exact=True).is_disabled() and page.get_by_role("button", name="Step", exact=True).is_disabled()


def test_projection_reuses_the_network_views_run(network):
    """Issue #15 item 7: the Projection view projects the run the Network view has just
    trained without training it again (the worker keeps it), with the retrained digest."""
    page = network
    trained = train(page)
    page.evaluate("() => { location.hash = '#projection?max_iter=250&grid=5&perplexity=10'; }")
    page.wait_for_function("() => document.querySelector('.projection-view') && window.descentlab.view.compute",
                           timeout=60_000)
    page.get_by_role("button", name="Compute", exact=True).click()
    page.wait_for_function("() => /^Done in/.test(document.querySelector('.projection-view .run-status').textContent)",
                           timeout=240_000)
    status = page.locator(".projection-view .run-status").inner_text()
    assert "(the network was already trained)" in status, status
    assert page.evaluate("() => document.querySelector('#view').dataset.digest") != trained
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert spec["network"]["epochs"] == 6
    assert page.evaluate("() => document.querySelector('#view').dataset.digest") == native(spec)["digest"]


# --- issue #16 item 5: a fork in the network --------------------------------------------

def test_fork_from_the_inspector_adds_a_run_that_follows_its_parent_then_trains(network):
    page = network
    train(page)
    page.evaluate("() => window.descentlab.view.inspect({run: 2, step: 10})")
    button = page.get_by_role("button", name="Fork from step 10")
    button.wait_for()
    button.click()
    # the experiment now has a fourth run, a fork of run 3 (Adam) at step 10, and trains it
    page.wait_for_function("() => { const v = window.descentlab.view; return v && v.result && v.result.runs.length === 4; }",
                           timeout=180_000)
    spec = view(page, "spec")
    assert spec["optimizers"][3]["fork"] == {"run": 2, "step": 10}
    assert spec["optimizers"][3]["name"] == spec["optimizers"][2]["name"]
    result = view(page, "result")
    assert result["digest"] == native(spec)["digest"]
    parent, fork = result["runs"][2], result["runs"][3]
    assert fork["train_loss"][:10] == parent["train_loss"][:10]  # its parent's steps, bit for bit
    assert fork["train_loss"] == parent["train_loss"]  # same settings: the same run all along
    # its label says it is a fork, in the charts' keys and the optimizer list; the link keeps it
    assert "fork of run 3 at step 10" in page.locator(".main .legend").first.inner_text()
    assert "4. Adam, fork of run 3 at step 10" in page.locator(".side").inner_text()
    assert '"fork"' in page.evaluate("() => decodeURIComponent(location.hash)")
    assert "train=" not in page.evaluate("() => location.hash")  # train=1 is not written back
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "network-fork.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})   # the inspector's fork button fits a phone
    page.evaluate("() => window.descentlab.view.inspect({run: 3, step: 12})")
    page.get_by_role("button", name="Fork from step 12").wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.get_by_role("button", name="Fork from step 12").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "network-fork-390.png"))


def test_a_fork_with_other_settings_departs_and_bad_forks_name_the_field(opened, server):
    opts = [{"name": "sgd", "params": {"lr": 0.1}},
            {"name": "sgd", "params": {"lr": 0.5}, "fork": {"run": 0, "step": 12}}]
    page = opened(server + QUICK + "&optimizers=" + json.dumps(opts))
    page.wait_for_function("() => window.descentlab.view && window.descentlab.view.data", timeout=60_000)
    train(page)
    result = view(page, "result")
    assert result["digest"] == native(view(page, "spec"))["digest"]
    a, b = result["runs"]
    assert a["train_loss"][:12] == b["train_loss"][:12] and a["train_loss"][12:] != b["train_loss"][12:]
    legend = page.locator(".main .legend").first.inner_text()
    assert "SGD lr=0.5, fork of run 1 at step 12" in legend, legend
    # a fork past the end of the run is refused, naming the field and the allowed range
    bad = [opts[0], {**opts[1], "fork": {"run": 0, "step": 999}}]
    page = opened(server + QUICK + "&optimizers=" + json.dumps(bad))
    page.wait_for_function("() => window.descentlab.view && window.descentlab.view.data", timeout=60_000)
    page.get_by_role("button", name="Train", exact=True).click()
    message = page.locator(".network-view .message:not(.tune-message)")
    message.wait_for(state="visible", timeout=60_000)
    assert "Optimizer 2" in message.inner_text() and "from 1 to 30" in message.inner_text(), message.inner_text()
