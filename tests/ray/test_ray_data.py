"""Data on a two-node Ray cluster: artifacts across nodes, cached environments, the CLI, ports."""

import ipaddress
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import kfp
from kfp import dsl, kubernetes
from kfp.dsl import Dataset, Input, Output

from headrace.states import RunState
from headrace.storage.filesystems import read_bytes
from headrace.storage.logs import LogLocation, read_log
from headrace.storage.settings import StorageSettings
from tests.processes import running
from tests.server.conftest import free_port
from tests.storage.conftest import bucket, s3_endpoint, storage

from .conftest import RayCluster, RayHarness, wait_until
from .pipelines import sleeper

__all__ = ["bucket", "s3_endpoint", "storage"]  # fixtures of the S3-protocol server


@dsl.component
def write_on_a(text: str, data: Output[Dataset]) -> None:
    print(f"writing {text}")
    with open(data.path, "w") as handle:
        handle.write(text)


@dsl.component
def read_on_b(data: Input[Dataset]) -> str:
    with open(data.path) as handle:
        return handle.read().upper()


@dsl.pipeline
def across_nodes(text: str = "hello"):
    made = write_on_a(text=text).set_caching_options(False)
    kubernetes.add_node_selector(made, label_key="zone", label_value="a")
    read = read_on_b(data=made.outputs["data"]).set_caching_options(False)
    kubernetes.add_node_selector(read, label_key="zone", label_value="b")


def _check_across_nodes(harness: RayHarness, run_id: str) -> None:
    tasks = {t.name: t for t in harness.store.list_tasks(run_id)}
    assert tasks["read-on-b"].outputs["Output"] == "HELLO"
    assert harness.node_ids(run_id, "write-on-a") == [harness.cluster.node_id("a")]
    assert harness.node_ids(run_id, "read-on-b") == [harness.cluster.node_id("b")]


def test_artifacts_pass_between_nodes_through_the_object_store(
    harness: RayHarness, storage: StorageSettings
) -> None:
    harness.storage = storage
    run = harness.run(across_nodes)
    assert run.state is RunState.SUCCEEDED, run.error
    _check_across_nodes(harness, run.id)
    tasks = {t.name: t for t in harness.store.list_tasks(run.id)}
    (event,) = harness.store.task_events(tasks["write-on-a"].id, "OUTPUT")
    assert event.artifact.uri.startswith(storage.pipeline_root)
    assert read_bytes(event.artifact.uri, storage) == b"hello"
    # The driver archived the log it received from the node, as for local tasks.
    (attempt,) = harness.store.list_attempts(task_id=tasks["write-on-a"].id)
    assert attempt.log_uri is not None and attempt.log_uri.startswith(storage.pipeline_root)
    Path(attempt.log_path).unlink()
    archived = read_log(LogLocation(attempt.log_path, attempt.log_uri), storage, live=False)
    assert "writing hello" in archived and "running on Ray node" in archived


def test_artifacts_pass_between_nodes_through_a_shared_filesystem_root(
    harness: RayHarness,
) -> None:
    run = harness.run(across_nodes)
    assert run.state is RunState.SUCCEEDED, run.error
    _check_across_nodes(harness, run.id)


SIX = "six==1.16.0"


@dsl.component(packages_to_install=[SIX])
def six_user() -> str:
    import sys

    import six

    return f"{six.__version__} {sys.executable}"


@dsl.pipeline
def with_packages():
    with dsl.ParallelFor(items=[0, 1, 2]):
        six_user().set_caching_options(False)


def test_packages_to_install_use_one_cached_environment_on_the_nodes(
    harness: RayHarness,
) -> None:
    run = harness.run(with_packages)
    assert run.state is RunState.SUCCEEDED, run.error
    outputs = {t.outputs["Output"] for t in harness.store.list_tasks(run.id) if t.outputs}
    (output,) = outputs  # every task ran the same interpreter
    version, python = output.split()
    assert version == "1.16.0"
    assert python.startswith(str(harness.tmp / "home" / "envs"))
    logs = "".join(Path(a.log_path).read_text() for a in harness.store.list_attempts(run_id=run.id))
    assert logs.count("building a Python environment") == 1


HELLO = Path(__file__).parents[2] / "examples" / "hello_pipeline.py"


def test_headrace_run_executor_ray_runs_on_the_cluster(
    ray_cluster: RayCluster, tmp_path: Path
) -> None:
    result = subprocess.run(
        [
            *(str(Path(sys.executable).parent / "headrace"), "run", str(HELLO)),
            *("--param", "rows=3", "--executor", "ray"),
            *("--ray-address", ray_cluster.cluster.address),
        ],
        capture_output=True,
        text=True,
        env=_cli_env(tmp_path),
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCEEDED" in result.stdout
    ids = {ray_cluster.node_id("a"), ray_cluster.node_id("b")}
    assert any(node in result.stdout for node in ids), result.stdout


def _cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEADRACE_", "RAY_ADDRESS"))}
    return {**env, "HEADRACE_HOME": str(tmp_path / "home")}


def test_a_server_on_ray_runs_and_terminates_a_kfp_client_run(
    ray_cluster: RayCluster, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **_cli_env(tmp_path),
        "HEADRACE_EXECUTOR": "ray",
        "HEADRACE_RAY_ADDRESS": ray_cluster.cluster.address,
        "HEADRACE_LEASE_SECONDS": "2",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "headrace"), "server", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _listening(port), 60, "the server to listen")
        client = kfp.Client(host=f"http://127.0.0.1:{port}")
        pid_file = tmp_path / "pid"
        run = client.create_run_from_pipeline_func(
            sleeper, arguments={"pid_file": str(pid_file)}, enable_caching=False
        )
        wait_until(lambda: pid_file.exists() and pid_file.read_text() != "", 90, "the task")
        pids = [int(p) for p in pid_file.read_text().split()]
        client.terminate_run(run.run_id)
        wait_until(lambda: client.get_run(run.run_id).state == "CANCELED", 60, "CANCELED")
        wait_until(lambda: not any(running(pid) for pid in pids), 30, f"{pids} to end")
        detail = client.get_run(run.run_id).run_details.task_details
        (task,) = [t for t in detail if t.display_name == "write-pid-and-sleep"]
        assert task.state == "CANCELED"
    finally:
        server.terminate()
        server.wait(30)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


_LISTEN = re.compile(r"^LISTEN\s+\d+\s+\d+\s+(\S+):(\d+)\s.*pid=(\d+)")


def test_every_ray_process_listens_on_127_0_0_1_only(ray_cluster: RayCluster) -> None:
    pids = _cluster_pids(ray_cluster)
    listening = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True)
    ours = []
    for line in listening.stdout.splitlines():
        match = _LISTEN.match(line)
        if match and int(match.group(3)) in pids:
            ours.append((match.group(1), match.group(2)))
    assert len(ours) >= 3, listening.stdout  # GCS, raylets, object managers at least
    assert all(_loopback(address) for address, _ in ours), ours


def _loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.strip("[]"))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # [::ffff:127.0.0.1]: an IPv6 socket bound to the IPv4 loopback
    return ip.is_loopback


def _cluster_pids(cluster: RayCluster) -> set[int]:
    """The Ray processes of the cluster: each node's services and the workers they started."""
    roots = set()
    for node in [cluster.cluster.head_node, *cluster.nodes.values()]:
        for infos in node.all_processes.values():
            roots.update(info.process.pid for info in infos)
    found = set(roots)
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if parent in roots:
                found.add(int(proc.name))
    return found | {os.getpid()}  # this test process is a connected driver: it listens too
