"""LocalExecutor with container-style commands: logs, exit codes, cancel, env, cwd, resources."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from headrace.executors import LocalExecutor, PythonEnvCache
from headrace.executors.local import accelerator_available
from headrace.spec.resources import Resources
from tests.processes import running

from .attempts import Recorder, make_spec, run_to_end, wait_for


@pytest.fixture
def executor(tmp_path: Path, sink: Callable[[str, str, str], None]) -> LocalExecutor:
    return LocalExecutor(log_sink=sink, envs=PythonEnvCache(tmp_path / "envs"), grace_seconds=0.5)


def test_nonzero_exit_reports_the_code_and_logs_both_streams_in_order(
    tmp_path: Path, executor: LocalExecutor, sink_lines: list[tuple[str, str, str]]
) -> None:
    spec = make_spec(tmp_path, ["sh", "-c", "echo hi; echo err >&2; exit 3"])
    outcome = run_to_end(executor, spec)
    assert outcome.exit_code == 3
    assert outcome.error is not None and "exited with code 3" in outcome.error
    assert "err" in outcome.error
    assert spec.log_path.read_text() == "hi\nerr\n"
    assert sink_lines == [("root/task", "stdout", "hi"), ("root/task", "stderr", "err")]


def test_success_calls_done_exactly_once_with_empty_outputs(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    recorder = Recorder()
    executor.start(make_spec(tmp_path, ["true"]), recorder)
    outcome = recorder.wait()
    time.sleep(0.2)
    assert len(recorder.calls) == 1
    assert outcome.succeeded


def test_log_lines_are_written_while_the_task_still_runs(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    spec = make_spec(tmp_path, ["sh", "-c", "echo first; sleep 30"])
    recorder = Recorder()
    handle = executor.start(spec, recorder)
    wait_for(lambda: spec.log_path.exists() and spec.log_path.read_text() == "first\n")
    handle.cancel()
    assert recorder.wait().canceled


def test_missing_program_names_the_command_and_the_image(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    spec = make_spec(tmp_path, ["headrace-no-such-tool", "--help"], image="acme/tool:1.2")
    outcome = run_to_end(executor, spec)
    assert not outcome.succeeded and outcome.error is not None
    assert "`headrace-no-such-tool` was not found" in outcome.error
    assert "acme/tool:1.2" in outcome.error
    assert "headrace-no-such-tool" in spec.log_path.read_text()


def test_command_missing_inside_sh_is_reported_like_a_missing_program(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    spec = make_spec(tmp_path, ["sh", "-c", "headrace-no-such-tool --x"], image="acme/tool:1.2")
    outcome = run_to_end(executor, spec)
    assert outcome.exit_code == 127 and outcome.error is not None
    assert "`headrace-no-such-tool` was not found" in outcome.error
    assert "acme/tool:1.2" in outcome.error


def test_cancel_kills_the_whole_process_group(tmp_path: Path, executor: LocalExecutor) -> None:
    spec = make_spec(tmp_path, ["sh", "-c", "sleep 60 & echo $! > child.pid; wait"])
    recorder = Recorder()
    handle = executor.start(spec, recorder)
    pid_file = spec.workdir / "child.pid"
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
    child = int(pid_file.read_text())
    handle.cancel()
    outcome = recorder.wait(10)
    assert outcome.canceled and not outcome.succeeded
    wait_for(lambda: not running(child))


def test_cancel_escalates_to_sigkill_after_the_grace_period(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    spec = make_spec(tmp_path, ["sh", "-c", "trap '' TERM; echo ready; sleep 60"])
    recorder = Recorder()
    handle = executor.start(spec, recorder)
    wait_for(lambda: spec.log_path.exists() and "ready" in spec.log_path.read_text())
    handle.cancel()
    outcome = recorder.wait(10)
    assert outcome.canceled and outcome.exit_code == -9


def test_background_processes_die_when_the_main_process_exits(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    spec = make_spec(tmp_path, ["sh", "-c", "sleep 60 & echo $! > child.pid"])
    outcome = run_to_end(executor, spec, timeout=10)
    assert outcome.succeeded
    wait_for(lambda: not running(int((spec.workdir / "child.pid").read_text())))


def test_spec_env_is_visible_and_cwd_is_the_created_workdir(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    spec = make_spec(
        tmp_path, ["sh", "-c", 'echo "$KFP_RETRY_INDEX"; pwd'], env={"KFP_RETRY_INDEX": "2"}
    )
    assert not spec.workdir.exists()
    outcome = run_to_end(executor, spec)
    assert outcome.succeeded
    assert spec.log_path.read_text().splitlines() == ["2", str(spec.workdir.resolve())]


def test_parent_directories_of_output_files_exist_before_the_program_starts(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    out = tmp_path / "outputs" / "deep" / "greeting"
    executor_input = {"outputs": {"parameters": {"greeting": {"outputFile": str(out)}}}}
    spec = make_spec(
        tmp_path,
        ["sh", "-c", 'printf hello > "$0"', str(out)],
        executor_input=executor_input,
        output_parameter_types={"greeting": "STRING"},
    )
    outcome = run_to_end(executor, spec)
    assert outcome.succeeded, outcome.error
    assert outcome.output_parameters == {"greeting": "hello"}


def test_exit_zero_without_a_declared_output_fails_naming_it(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    executor_input = {"outputs": {"parameters": {"n": {"outputFile": str(tmp_path / "n")}}}}
    spec = make_spec(
        tmp_path, ["true"], executor_input=executor_input, output_parameter_types={"n": "STRING"}
    )
    outcome = run_to_end(executor, spec)
    assert outcome.exit_code == 0 and not outcome.succeeded
    assert outcome.error is not None and "'n'" in outcome.error


@pytest.mark.skipif(accelerator_available(), reason="this machine has a GPU")
def test_accelerator_request_without_a_gpu_fails_without_starting(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    marker = tmp_path / "started"
    spec = make_spec(
        tmp_path,
        ["touch", str(marker)],
        resources=Resources(accelerator_type="NVIDIA_TESLA_T4", accelerator_count=2),
    )
    outcome = run_to_end(executor, spec)
    assert outcome.exit_code is None and outcome.error is not None
    assert "2 NVIDIA_TESLA_T4" in outcome.error
    assert not marker.exists()


def test_shutdown_cancels_running_attempts(tmp_path: Path, executor: LocalExecutor) -> None:
    recorder = Recorder()
    executor.start(make_spec(tmp_path, ["sleep", "60"]), recorder)
    time.sleep(0.2)
    executor.shutdown()
    assert recorder.event.is_set() and recorder.calls[0].canceled
    assert os.path.exists(tmp_path / "logs" / "task.log")
