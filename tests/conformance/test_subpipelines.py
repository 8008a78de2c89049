"""Sub-pipelines: parameter and artifact outputs, nesting, and dsl.OneOf."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Output

from headrace.states import RunState, TaskState

from .conftest import Harness


@dsl.component
def double(x: int) -> int:
    return 2 * x


@dsl.component
def write(text: str, out: Output[Dataset]) -> None:
    with open(out.path, "w") as f:
        f.write(text)
    out.metadata["len"] = len(text)


@dsl.component
def write_suffixed(text: str, suffix: str, out: Output[Dataset]) -> None:
    with open(out.path, "w") as f:
        f.write(text + suffix)
    out.metadata["len"] = len(text + suffix)


@dsl.component
def read(data: Input[Dataset]) -> str:
    with open(data.path) as f:
        return f.read() + ":" + str(data.metadata["len"])


@dsl.pipeline
def inner(x: int) -> int:
    return double(x=double(x=x).output).set_caching_options(False).output


@dsl.pipeline
def inner_artifact(text: str) -> Dataset:
    return write(text=text).set_caching_options(False).outputs["out"]


@dsl.pipeline
def middle(x: int) -> int:
    return inner(x=x).output


@dsl.pipeline
def outer(x: int = 3):
    value = middle(x=x)
    double(x=value.output).set_caching_options(False)
    data = inner_artifact(text="sub")
    read(data=data.output).set_caching_options(False)


def test_parameter_and_artifact_outputs_of_nested_sub_pipelines(harness: Harness) -> None:
    result = harness.run(outer, {"x": 5})
    assert result.state is RunState.SUCCEEDED
    assert result.output("middle/inner/double-2") == 20
    assert result.output("middle") == 20
    assert result.output("double") == 40
    assert result.output("read") == "sub:3"
    produced = result.artifact("inner-artifact/write", "out")
    assert result.artifact("inner-artifact", "Output").id == produced.id
    assert [a.id for a in result.input_artifacts("read", "data")] == [produced.id]
    assert {t.state for t in result.tasks} == {TaskState.SUCCEEDED}


@dsl.component
def shout(text: str) -> str:
    return text.upper()


@dsl.component
def whisper(text: str) -> str:
    return text.lower()


@dsl.pipeline
def choose(text: str, loud: bool) -> str:
    with dsl.If(loud == True):  # noqa: E712
        a = shout(text=text).set_caching_options(False)
    with dsl.Else():
        b = whisper(text=text).set_caching_options(False)
    return dsl.OneOf(a.output, b.output)


@dsl.pipeline
def choose_artifact(text: str, n: int) -> Dataset:
    with dsl.If(n > 1):
        a = write_suffixed(text=text, suffix="-big").set_caching_options(False)
    with dsl.Elif(n == 1):
        b = write_suffixed(text=text, suffix="-one").set_caching_options(False)
    with dsl.Else():
        c = write_suffixed(text=text, suffix="-none").set_caching_options(False)
    return dsl.OneOf(a.outputs["out"], b.outputs["out"], c.outputs["out"])


@dsl.pipeline
def one_of(text: str = "MiXeD", loud: bool = True, n: int = 1):
    picked = choose(text=text, loud=loud)
    shout(text=picked.output).set_caching_options(False)
    art = choose_artifact(text=text, n=n)
    read(data=art.output).set_caching_options(False)


def test_one_of_picks_the_branch_that_ran(harness: Harness) -> None:
    loud = harness.run(one_of, {"loud": True, "n": 1})
    assert loud.state is RunState.SUCCEEDED
    assert loud.output("choose") == "MIXED"
    assert loud.output("read") == "MiXeD-one:9"
    quiet = harness.run(one_of, {"loud": False, "n": 0})
    assert quiet.state is RunState.SUCCEEDED
    assert quiet.output("choose") == "mixed"
    assert quiet.output("shout") == "MIXED"
    assert quiet.output("read") == "MiXeD-none:10"
    skipped = [t.path for t in quiet.tasks if t.state is TaskState.SKIPPED]
    # Only the branches not taken are skipped: two in choose-artifact, one in choose.
    assert len(skipped) == 3, skipped
    assert sum(p.startswith("choose-artifact/") for p in skipped) == 2
    assert quiet.task("choose-artifact").state is TaskState.SUCCEEDED


@dsl.pipeline
def reads_input(data: Input[Dataset], label: str = "default-label") -> str:
    first = read(data=data).set_caching_options(False)
    return shout(text=first.output).set_caching_options(False).output


@dsl.pipeline
def artifact_into_sub_pipeline():
    made = write(text="fed").set_caching_options(False)
    inner_task = reads_input(data=made.outputs["out"])
    with dsl.If(inner_task.output == "FED:3"):
        shout(text="matched").set_caching_options(False)


def test_artifact_inputs_defaults_and_conditions_on_sub_pipeline_outputs(harness: Harness) -> None:
    result = harness.run(artifact_into_sub_pipeline)
    assert result.state is RunState.SUCCEEDED, result.run.error
    assert result.task("reads-input").inputs.get("label") == "default-label"
    assert result.output("reads-input/read") == "fed:3"
    assert result.output("reads-input") == "FED:3"
    assert result.output("condition-1/shout") == "MATCHED"
