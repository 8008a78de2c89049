# No `from __future__ import annotations`: kfp reads component annotations at runtime.
"""A pipeline with what the UI shows: a slow task, a loop, Markdown and metrics artifacts."""

from kfp import dsl
from kfp.dsl import HTML, ClassificationMetrics, Dataset, Markdown, Metrics, Output


@dsl.component(base_image="python:3.11")
def wait(seconds: float, gate: str) -> str:
    import pathlib
    import time

    print("waiting for the gate file", flush=True)
    deadline = time.monotonic() + seconds
    # The browser test opens the gate once it has seen this task RUNNING.
    while time.monotonic() < deadline and gate and not pathlib.Path(gate).exists():
        time.sleep(0.1)
    print("gate open, done", flush=True)
    return "ready"


@dsl.component(base_image="python:3.11")
def square(x: int) -> int:
    return x * x


@dsl.component(base_image="python:3.11")
def report(
    word: str,
    accuracy: float,
    summary: Output[Markdown],
    metrics: Output[Metrics],
    classes: Output[ClassificationMetrics],
    page: Output[HTML],
    table: Output[Dataset],
) -> None:
    with open(table.path, "w") as f:
        f.write('name,score\n"Smith, Ann",3\nBo,5\n')
    with open(summary.path, "w") as f:
        f.write(f"# Report\n\nThe word is **{word}**.\n\n- one\n- two\n")
        f.write("\n<script>alert(1)</script>\n")
    with open(page.path, "w") as f:
        f.write("<h1 id='title'>Page</h1><script>document.title = 'ran'</script>")
    metrics.log_metric("accuracy", accuracy)
    metrics.log_metric("loss", round(1 - accuracy, 3))
    classes.log_confusion_matrix(["cat", "dog"], [[8, 2], [1, 9]])
    classes.log_roc_curve([0.0, 0.2, 1.0], [0.0, 0.8, 1.0], [1.0, 0.5, 0.0])


@dsl.pipeline(name="ui-demo")
def ui_demo(seconds: float = 0.0, gate: str = "", accuracy: float = 0.9, word: str = "hello"):
    first = wait(seconds=seconds, gate=gate)
    with dsl.ParallelFor([1, 2, 3]) as x:
        square(x=x).after(first)
    report(word=word, accuracy=accuracy).after(first)


@dsl.pipeline(name="inner")
def inner(x: int) -> int:
    return square(x=x).output


@dsl.pipeline(name="nested-demo")
def nested_demo():
    """A sub-pipeline and a loop of 12: opened in place in the run's graph."""
    inner(x=3)
    with dsl.ParallelFor(list(range(12))) as i:
        square(x=i)
