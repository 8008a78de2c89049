"""Pipelines on a two-node Ray cluster: spreading, placement, resources, node loss, cancel."""

from pathlib import Path

from kfp import dsl, kubernetes

from headrace.states import AttemptState, RunState, TaskState
from tests.processes import running

from .conftest import NODE_CPUS, RayHarness, wait_until
from .pipelines import sleeper


@dsl.component
def nap(seconds: float, tag: int) -> int:
    import time

    print(f"napping {tag}", flush=True)
    time.sleep(seconds)
    return tag


@dsl.pipeline
def fan_out(seconds: float = 1.5):
    with dsl.ParallelFor(items=[0, 1, 2, 3, 4, 5, 6, 7], parallelism=4) as i:
        nap(seconds=seconds, tag=i).set_caching_options(False)


def test_a_fan_out_spreads_over_both_nodes_and_streams_logs(harness: RayHarness) -> None:
    run = harness.run(fan_out)
    assert run.state is RunState.SUCCEEDED, run.error
    nodes = harness.node_ids(run.id, "nap")
    assert len(nodes) == 8
    assert set(nodes) == {harness.cluster.node_id("a"), harness.cluster.node_id("b")}
    # The program's own output reached the driver's log file, after the node line.
    logs = [Path(a.log_path).read_text() for a in harness.store.list_attempts(run_id=run.id)]
    naps = [text for text in logs if "napping" in text]
    assert len(naps) == 8
    assert all(t.index("running on Ray node") < t.index("napping") for t in naps)


@dsl.pipeline
def zone_b_only():
    with dsl.ParallelFor(items=[0, 1, 2, 3]) as i:
        task = nap(seconds=0.2, tag=i).set_caching_options(False)
        kubernetes.add_node_selector(task, label_key="zone", label_value="b")
        kubernetes.add_toleration(task, key="dedicated", operator="Exists")


def test_a_node_selector_task_runs_only_on_the_labelled_node(harness: RayHarness) -> None:
    run = harness.run(zone_b_only)
    assert run.state is RunState.SUCCEEDED, run.error
    assert harness.node_ids(run.id, "nap") == [harness.cluster.node_id("b")] * 4
    logs = [Path(a.log_path).read_text() for a in harness.store.list_attempts(run_id=run.id)]
    assert all("ignored on Ray: toleration of dedicated" in text for text in logs)


@dsl.pipeline
def too_big():
    nap(seconds=0.0, tag=1).set_cpu_limit("16").set_caching_options(False)


def test_a_cpu_request_no_node_has_fails_at_once_naming_the_resource(
    harness: RayHarness,
) -> None:
    run = harness.run(too_big)
    assert run.state is RunState.FAILED
    (task,) = [t for t in harness.store.list_tasks(run.id) if t.name == "nap"]
    assert task.state is TaskState.FAILED
    assert "requests 16 CPU" in (task.error or "")
    assert f"has {NODE_CPUS} CPU" in (task.error or "")
    assert "largest Ray node" in (task.error or "")


@dsl.pipeline
def no_such_zone():
    task = nap(seconds=0.0, tag=1).set_caching_options(False)
    kubernetes.add_node_selector(task, label_key="zone", label_value="mars")


def test_a_node_selector_no_node_matches_fails_at_once(harness: RayHarness) -> None:
    run = harness.run(no_such_zone)
    assert run.state is RunState.FAILED
    (task,) = [t for t in harness.store.list_tasks(run.id) if t.name == "nap"]
    assert "labelled zone=mars" in (task.error or "")


def test_terminating_a_run_stops_its_ray_task_and_the_program(
    harness: RayHarness, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    started = harness.start(sleeper, {"pid_file": str(pid_file)})
    wait_until(lambda: pid_file.exists() and pid_file.read_text() != "", 60, "the task to start")
    pids = [int(p) for p in pid_file.read_text().split()]
    assert all(running(pid) for pid in pids)
    started.engine.cancel()
    run = started.wait()
    assert run.state is RunState.CANCELED
    wait_until(lambda: not any(running(pid) for pid in pids), 30, f"the processes {pids} to end")


@dsl.component
def dies_with_its_first_node(marker: str) -> str:
    import os
    import time

    attempt = int(os.environ["KFP_RETRY_INDEX"])
    print(f"attempt {attempt}", flush=True)
    if attempt == 0:
        with open(marker, "w") as handle:
            handle.write(str(os.getpid()))
        time.sleep(600)  # until its node goes away
    return f"done on attempt {attempt}"


@dsl.pipeline
def survives_node_loss(marker: str):
    dies_with_its_first_node(marker=marker).set_caching_options(False).set_retry(
        num_retries=2, backoff_duration="0s"
    )


def test_losing_the_node_under_a_task_retries_it_on_the_other_node(
    harness: RayHarness, tmp_path: Path
) -> None:
    marker = tmp_path / "first-attempt"
    started = harness.start(survives_node_loss, {"marker": str(marker)})
    wait_until(lambda: marker.exists() and marker.read_text() != "", 60, "the first attempt")
    node_id = harness.wait_for_node(started.run_id, "dies-with-its-first-node")
    zone = harness.cluster.zone_of(node_id)
    harness.cluster.replace(zone)
    try:
        run = started.wait()
    finally:
        harness.cluster.replace(zone)  # back to two nodes for the tests after this one
    assert run.state is RunState.SUCCEEDED, run.error
    (task,) = [t for t in harness.store.list_tasks(run.id) if t.name == "dies-with-its-first-node"]
    assert task.outputs["Output"] == "done on attempt 1"
    attempts = harness.store.list_attempts(run_id=run.id)
    assert [a.state for a in attempts] == [AttemptState.FAILED, AttemptState.SUCCEEDED]
    assert f"Ray node {node_id} at 127.0.0.1 died" in (attempts[0].error or "")
    assert f"Ray node {node_id} at 127.0.0.1 died" in Path(attempts[0].log_path).read_text()
    assert harness.node_ids(run.id)[1] != node_id
    first_pid = int(marker.read_text())
    wait_until(lambda: not running(first_pid), 30, "the first attempt's process to end")


@dsl.component
def waits_to_be_heard(go_file: str) -> str:
    import os
    import time

    print("ready", flush=True)
    # Ends only once the test has read "ready" in the driver's log: the line came back live.
    for _ in range(1200):
        if os.path.exists(go_file):
            return os.environ["DB_PASSWORD"]
        time.sleep(0.1)
    raise SystemExit("nobody read the log while the task ran")


@dsl.pipeline
def live_log(go_file: str):
    task = waits_to_be_heard(go_file=go_file).set_caching_options(False)
    kubernetes.use_secret_as_env(
        task, secret_name="db", secret_key_to_env={"password": "DB_PASSWORD"}
    )


def test_log_lines_reach_the_driver_while_the_task_runs_with_its_secrets(
    harness: RayHarness, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    harness.secrets = {"db": {"password": "s3cret"}}
    started = harness.start(live_log, {"go_file": str(go)})

    def heard() -> bool:
        attempts = harness.store.list_attempts(run_id=started.run_id)
        logs = [Path(a.log_path) for a in attempts]
        return any(log.exists() and "ready\n" in log.read_text() for log in logs)

    wait_until(heard, 60, "'ready' in the driver's log")
    go.touch()
    run = started.wait()
    assert run.state is RunState.SUCCEEDED, run.error
    (task,) = [t for t in harness.store.list_tasks(run.id) if t.name == "waits-to-be-heard"]
    assert task.outputs["Output"] == "s3cret"
