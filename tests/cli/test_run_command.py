"""`headrace run`, `runs list/show/delete` and `logs` as a user calls them."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from headrace.service.runs import RunRequest, create_run
from headrace.spec.loader import load_pipeline
from headrace.store import Store
from tests.cli.conftest import HEADRACE, Cli
from tests.processes import pids_written, running

PIPELINES = str(Path(__file__).with_name("pipelines.py"))
HELD = str(Path(__file__).parents[1] / "worker" / "pipelines.py")


def test_run_succeeds_and_is_listed_with_outputs(cli: Cli) -> None:
    result = cli("run", PIPELINES, "--pipeline", "adder", "--param", "a=40")
    assert result.returncode == 0, result.stderr
    assert "adding 40 and 2" in result.stdout  # task output streamed with its prefix
    assert "SUCCEEDED" in result.stdout

    runs = cli.json("runs", "list")
    assert [r["state"] for r in runs] == ["SUCCEEDED"]
    assert runs[0]["parameters"] == {"a": 40, "b": 2, "tag": "x"}

    detail = cli.json("runs", "show", runs[0]["id"][:8])
    leaves = {t["path"]: t for t in detail["tasks"] if t["kind"] == "CONTAINER"}
    assert leaves["add"]["outputs"] == {"Output": 42}
    assert leaves["add-2"]["outputs"] == {"Output": 43}
    assert all(t["state"] == "SUCCEEDED" and t["attempts"] == 1 for t in leaves.values())
    # Every attempt succeeded: no scratch is left, not even the run's empty directory.
    assert list((cli.home / "work").iterdir()) == []


def test_second_run_is_cached_unless_caching_is_off(cli: Cli) -> None:
    args = ("run", PIPELINES, "--pipeline", "adder", "--param", "a=1", "--quiet")
    assert cli(*args).returncode == 0
    assert cli(*args).returncode == 0
    assert cli(*args, "--no-cache").returncode == 0
    off = cli(*args, KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT="true")
    assert off.returncode == 0
    runs = list(reversed(cli.json("runs", "list")))
    states = [sorted(t["state"] for t in cli.json("runs", "show", r["id"])["tasks"]) for r in runs]
    assert states[0] == ["SUCCEEDED", "SUCCEEDED"]
    assert states[1] == ["CACHED", "CACHED"]
    assert states[2] == ["SUCCEEDED", "SUCCEEDED"]
    assert states[3] == ["SUCCEEDED", "SUCCEEDED"]


def test_failed_run_exits_1_and_names_the_task(cli: Cli) -> None:
    result = cli("run", PIPELINES, "--pipeline", "failing")
    assert result.returncode == 1
    assert "task 'boom' failed" in result.stdout
    run = cli.json("runs", "list")[0]
    assert run["state"] == "FAILED"
    assert "boom" in run["error"] and "code 3" in run["error"]
    logs = cli("logs", run["id"], "boom")
    assert logs.returncode == 0
    assert "about to fail: bad data" in logs.stdout


def test_logs_of_one_attempt(cli: Cli) -> None:
    assert cli("run", PIPELINES, "--pipeline", "adder", "--param", "a=5", "-q").returncode == 0
    run_id = cli.json("runs", "list")[0]["id"]
    result = cli("logs", run_id, "add-2", "--attempt", "0")
    assert result.returncode == 0
    assert "adding 7 and 1" in result.stdout
    missing = cli("logs", run_id, "no-such-task")
    assert missing.returncode == 2
    assert "no-such-task" in missing.stderr


def test_ctrl_c_cancels_the_run_and_stops_its_tasks(cli: Cli) -> None:
    proc = subprocess.Popen(
        [HEADRACE, "run", PIPELINES, "--pipeline", "sleepy"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli.env(),
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:  # wait until the task is really running
        if "napping" in line or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "CANCELED" in out
    run = cli.json("runs", "list")[0]
    assert run["state"] == "CANCELED"
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    assert "nap(seconds" not in ps.stdout and "time.sleep(seconds)" not in ps.stdout


def test_runs_show_json_documents_every_task_field(cli: Cli) -> None:
    assert cli("run", PIPELINES, "--pipeline", "adder", "--param", "a=1", "-q").returncode == 0
    run_id = cli.json("runs", "list")[0]["id"]
    detail = json.loads(cli("runs", "show", run_id, "-o", "json").stdout)
    assert {"id", "name", "state", "error", "parameters", "tasks"} <= set(detail)
    for task in detail["tasks"]:
        assert {"name", "path", "kind", "state", "attempts", "outputs", "artifacts"} <= set(task)


def test_runs_delete_removes_an_ended_run_and_its_failed_scratch(cli: Cli) -> None:
    assert cli("run", PIPELINES, "--pipeline", "failing").returncode == 1
    run_id = cli.json("runs", "list")[0]["id"]
    scratch = cli.home / "work" / run_id
    assert [p.name.endswith(".0") for p in scratch.iterdir()] == [True]  # the failed attempt's
    deleted = cli("runs", "delete", run_id[:8])
    assert deleted.returncode == 0, deleted.stderr
    assert run_id in deleted.stdout
    assert cli.json("runs", "list") == []
    assert not scratch.exists()
    again = cli("runs", "delete", run_id)
    assert again.returncode == 2 and "not found" in again.stderr


def test_runs_delete_refuses_a_run_that_has_not_ended_unless_forced(cli: Cli) -> None:
    cli.home.mkdir(parents=True)
    with Store.connect(f"sqlite:///{cli.home}/headrace.db") as store:
        loaded = load_pipeline(Path(PIPELINES), "adder")
        run = create_run(store, RunRequest(loaded, {"a": 1}, str(cli.home / "artifacts")))
    scratch = cli.home / "work" / run.id / "task.0"
    scratch.mkdir(parents=True)  # as if a process were running its task there
    refused = cli("runs", "delete", run.id)
    assert refused.returncode == 2
    assert "PENDING" in refused.stderr and "--force" in refused.stderr
    assert [r["id"] for r in cli.json("runs", "list")] == [run.id]
    forced = cli("runs", "delete", run.id, "--force")
    assert forced.returncode == 0, forced.stderr
    assert cli.json("runs", "list") == []
    assert scratch.exists()  # a run that had not ended keeps its scratch


def test_a_run_deleted_by_force_under_headrace_run_stops_and_says_so(
    cli: Cli, tmp_path: Path
) -> None:
    work = tmp_path / "w"
    work.mkdir()
    args = ["run", HELD, "--pipeline", "three-held", "--param", f"workdir={work}", "-q"]
    proc = subprocess.Popen(
        [HEADRACE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli.env()
    )
    try:
        pids = pids_written(work, 2)  # two slots: two of the loop's three tasks
        run_id = cli.json("runs", "list")[0]["id"]
        forced = cli("runs", "delete", run_id, "--force")
        assert forced.returncode == 0, forced.stderr
        (work / f"{min(pids)}.go").touch()  # one task ends: the engine's next write fails
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    assert f"run {run_id} was deleted while it ran; its tasks were stopped" in err
    assert not any(running(pid) for pid in pids.values())
    assert len(list(work.glob("*.pid"))) == 2  # nothing started after the deletion
