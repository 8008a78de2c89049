# No `from __future__ import annotations`: kfp reads component annotations at runtime.
"""A pipeline with a Markdown file, a directory artifact and a metadata-only one."""

from kfp import dsl
from kfp.dsl import Artifact, Input, Markdown, Metrics, Output


@dsl.component
def report(text: str, page: Output[Markdown], folder: Output[Artifact], scores: Output[Metrics]):
    import os

    with open(page.path, "w") as f:
        f.write(f"# Report\n\n{text}\n")
    os.makedirs(os.path.join(folder.path, "sub"))
    with open(os.path.join(folder.path, "a.txt"), "w") as f:
        f.write("alpha\n")
    with open(os.path.join(folder.path, "sub", "b.csv"), "w") as f:
        f.write("x,y\n1,2\n")
    folder.metadata["display_name"] = "Report files"
    scores.log_metric("accuracy", 0.9)


@dsl.component
def read_page(page: Input[Markdown]) -> str:
    with open(page.path) as f:
        return f.read()


@dsl.pipeline(name="reporting")
def reporting(text: str = "hello world"):
    made = report(text=text)
    read_page(page=made.outputs["page"])
