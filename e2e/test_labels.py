"""Run labels tell every run of a scene apart (issue #15, item 4)."""
from __future__ import annotations

LABELS_JS = """async (entries) => {
    const { runLabels } = await import("./lib/labels.js");
    const catalog = await window.descentlab.call("list_catalog");
    return runLabels(entries, catalog);
}"""


def test_labels_differ_by_setting_and_never_collide(page):
    entries = [{"name": "sgd", "params": {}}, {"name": "adam", "params": {}}, {"name": "adam", "params": {"lr": 0.05}},
               {"name": "rmsprop", "params": {}}, {"name": "adam", "params": {}},
               {"name": "momentum", "params": {"momentum": 0.99}}, {"name": "momentum", "params": {}}]
    labels = page.evaluate(LABELS_JS, entries)
    assert len(set(labels)) == len(labels), labels
    assert labels[0] == "SGD" and labels[3] == "RMSprop"
    assert "lr=0.05" in labels[2] and "μ=0.99" in labels[5], labels
    assert labels[1].endswith("(run 2)") and labels[4].endswith("(run 5)"), labels
