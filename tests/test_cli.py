"""The command line: runs specs, lists the catalog, and never prints a traceback."""

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings

import descentlab.__main__ as cli_main
import strategies as S
from descentlab import run
from spec_builders import LANDSCAPE, SMALL_NETWORK, with_change

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, stdin=None):
    env = {"PYTHONPATH": str(ROOT / "pywasm"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "descentlab", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=300)


def test_cli_runs_both_examples(tmp_path):
    for spec in (LANDSCAPE, SMALL_NETWORK):
        path = tmp_path / "spec.json"
        path.write_text(json.dumps(spec))
        out = tmp_path / "out.json"
        done = cli("run", str(path), "-o", str(out))
        assert done.returncode == 0, done.stderr
        assert json.loads(out.read_text())["digest"] == run(spec)["digest"]
    done = cli("run", "-", stdin=json.dumps(LANDSCAPE))
    assert done.returncode == 0 and json.loads(done.stdout)["digest"] == run(LANDSCAPE)["digest"]


def test_cli_bad_spec_exits_2_without_traceback(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(with_change(LANDSCAPE, ("steps",), -5)))
    done = cli("run", str(path))
    assert done.returncode == 2
    assert "steps" in done.stderr and "Traceback" not in done.stderr
    path.write_text("{not json")
    done = cli("run", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = cli("run", str(tmp_path / "missing.json"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    path.write_text('{"kind": "landscape", "function": "rosenbrock", "start": [NaN, 1], '
                    '"optimizers": [{"name": "adam"}]}')
    done = cli("run", str(path))
    assert done.returncode == 2 and "start[0]" in done.stderr


def test_cli_list():
    done = cli("list")
    assert done.returncode == 0
    for word in ("rosenbrock", "adam", "lr=", "moons", "digits"):
        assert word in done.stdout



def cli_in_process(tmp_path, content: bytes, capsys):
    path = tmp_path / "spec.json"
    path.write_bytes(content)
    code = cli_main.main(["run", str(path), "-o", str(tmp_path / "out.json")])
    return code, capsys.readouterr().err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(S.spec_files)
def test_cli_answers_any_file_in_one_line(tmp_path, capsys, content):
    code, err = cli_in_process(tmp_path, content, capsys)
    assert code in (0, 2), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_cli_bad_files_exit_2_without_traceback(tmp_path):
    cases = {
        "latin1.json": ('{"kind": "landscape", "function": "caf\xe9"}'.encode("latin-1"), "not UTF-8"),
        "deep.json": (b"[" * 100_000 + b"]" * 100_000, "nested"),
        "deep_value.json": (b'{"kind": "landscape", "steps": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested"),
        "huge_int.json": (json.dumps(dict(LANDSCAPE, steps=1)).replace('"steps": 1', '"steps": 1' + "0" * 5000)
                          .encode(), "steps"),
        "empty_key.json": (json.dumps(dict(LANDSCAPE, **{"": 1})).encode(), '""'),
    }
    for name, (content, words) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        done = cli("run", str(path))
        assert done.returncode == 2, (name, done.stderr)
        assert "Traceback" not in done.stderr and words in done.stderr, (name, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, (name, done.stderr)


def test_cli_internal_error_is_one_line(tmp_path, capsys, monkeypatch):
    def broken(spec, allow_code=False):
        raise RuntimeError("something\nbroke")
    monkeypatch.setattr(cli_main, "run", broken)
    code, err = cli_in_process(tmp_path, json.dumps(LANDSCAPE).encode(), capsys)
    assert code == 1 and err.strip() == "descentlab: internal error: RuntimeError: something broke"
    monkeypatch.setattr(cli_main, "run", lambda spec, allow_code=False: {"loss": float("nan")})
    code, err = cli_in_process(tmp_path, json.dumps(LANDSCAPE).encode(), capsys)
    assert code == 1 and "internal error" in err and len(err.strip().splitlines()) == 1
