"""Every execution writes its outputs under its own URI: iterations, retries and runs (#10186)."""

from pathlib import Path

from kfp import dsl
from kfp.dsl import Dataset, Output

from headrace.spec.uris import local_path_for_uri
from headrace.states import RunState

from .conftest import Harness


@dsl.component
def write(text: str, out: Output[Dataset]) -> None:
    import os

    with open(out.path, "w") as f:
        f.write(f"{text} attempt {os.environ['KFP_RETRY_INDEX']}")
    if text == "retry-me" and os.environ["KFP_RETRY_INDEX"] == "0":
        raise RuntimeError("first attempt fails after writing its artifact")


@dsl.pipeline
def many_writes() -> None:
    with dsl.ParallelFor(["a", "b", "c", "retry-me"]) as t:
        write(text=t).set_retry(num_retries=1).set_caching_options(False)


def test_iterations_and_runs_never_share_an_output_uri(harness: Harness) -> None:
    runs = [harness.run(many_writes) for _ in range(2)]
    uris: list[str] = []
    for result in runs:
        assert result.state is RunState.SUCCEEDED
        for task in result.named("write"):
            (artifact,) = result.artifacts(task.path, "out")
            uris.append(artifact.uri)
            text = Path(local_path_for_uri(artifact.uri)).read_text()
            index = task.path.split("/")[1].removeprefix("iteration-")
            expected = ["a", "b", "c", "retry-me"][int(index)]
            attempt = 1 if expected == "retry-me" else 0
            assert text == f"{expected} attempt {attempt}"
    assert len(uris) == 8 and len(set(uris)) == 8
    assert all(runs[0].run.id in uri for uri in uris[:4])
