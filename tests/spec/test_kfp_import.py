"""Headrace imports kfp without kfp.client or kfp.components; both still work on first use."""

import subprocess
import sys

_CHECK = """
import sys
import headrace
assert 'kfp.client' not in sys.modules and 'kubernetes' not in sys.modules, 'client imported'
assert 'kfp.components' not in sys.modules and 'requests' not in sys.modules, 'components imported'
import kfp
assert kfp.components.load_component_from_text.__module__ == 'kfp.components.load_yaml_utilities'
from kfp import compiler, components, dsl
assert kfp.dsl is dsl and kfp.components is components
from kfp import Client
assert kfp.Client is Client and Client.__module__ == 'kfp.client.client'
try:
    kfp.no_such_name
except AttributeError as exc:
    assert 'no_such_name' in str(exc)
else:
    raise AssertionError('kfp.no_such_name resolved')
print('ok')
"""


def test_headrace_imports_kfp_without_its_client() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHECK], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_kfp_runtime_variable_is_left_as_it_was() -> None:
    check = "import os, headrace; print(os.environ.get('_KFP_RUNTIME'))"
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"
