"""`headrace doctor`: check what the settings point at, each check with a fix when it fails."""

from __future__ import annotations

import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from headrace.config import Settings, env_var, flag_name, mask, unknown_env
from headrace.errors import HeadraceError
from headrace.storage.filesystems import (
    ca_bundle_fix,
    describe_endpoint,
    filesystem_for,
    is_certificate_error,
)
from headrace.storage.settings import StorageSettings, scheme_of
from headrace.store import Store

_PROBE_TIMEOUT_S = 120.0
_AT_HEAD = "reachable, schema up to date"


@dataclass(frozen=True)
class Check:
    """One thing doctor looked at: passed or not, what it saw, and what to do when it failed."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in order: environment, database, object stores, executors."""
    database = check_database(settings)
    checks = [check_environment(), database]
    overrides: dict[str, StorageSettings] = {}
    if database.ok and database.detail.endswith(_AT_HEAD):
        overrides, problems = _namespace_storage(settings)
        checks.extend(problems)
    checks.extend(check_storage(settings, overrides))
    checks.append(check_python_envs(settings))
    checks.append(check_executor(settings))
    return checks


def check_environment() -> Check:
    """HEADRACE_* variables that name no setting are typos until proven otherwise."""
    unknown = unknown_env()
    if not unknown:
        return Check("environment", True, "every HEADRACE_* variable names a setting")
    return Check(
        "environment",
        False,
        f"{', '.join(unknown)} name no setting and are ignored",
        "fix the names (see `headrace config show` for every setting's variable) or unset them",
    )


def check_database(settings: Settings) -> Check:
    url = settings.resolved_database_url()
    shown = mask(url)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return Check("database", True, f"{shown} will be created and migrated on first use")
    try:
        problem = Store.check_schema(url)
    except HeadraceError as exc:
        return Check("database", False, exc.message, exc.hint or _database_fix())
    except Exception as exc:
        return Check("database", False, f"{shown}: {type(exc).__name__}: {exc}", _database_fix())
    if problem is not None:
        return Check("database", False, f"{shown}: {problem}", "run `headrace db upgrade`")
    return Check("database", True, f"{shown} {_AT_HEAD}")


def _database_fix() -> str:
    return f"set database_url ({env_var('database_url')}) to a reachable database"


def _namespace_storage(settings: Settings) -> tuple[dict[str, StorageSettings], list[Check]]:
    from headrace.service.namespaces import NamespaceSettings

    found: dict[str, StorageSettings] = {}
    problems = []
    try:
        with Store.connect(settings.resolved_database_url(), migrate=False) as store:
            service = NamespaceSettings(store, settings)
            for namespace in service.overrides():
                try:
                    found[namespace] = service.storage_settings_for(namespace)
                except HeadraceError as exc:
                    name = f"namespace {namespace} storage"
                    problems.append(Check(name, False, exc.message, exc.hint))
    except Exception as exc:
        detail = f"cannot read namespace settings: {type(exc).__name__}: {exc}"
        problems.append(Check("namespace storage", False, detail, "run `headrace db upgrade`"))
    return found, problems


def check_storage(settings: Settings, namespaces: dict[str, StorageSettings]) -> list[Check]:
    """Write, read and delete a probe object under every root some namespace writes to."""
    targets: dict[str, tuple[str, StorageSettings]] = {}
    globals_ = settings.storage()
    for root in (globals_.pipeline_root, globals_.resolved_log_root()):
        targets.setdefault(root, ("global settings", globals_))
    for namespace, storage in namespaces.items():
        for root in (storage.pipeline_root, storage.resolved_log_root()):
            targets.setdefault(root, (f"namespace {namespace}", storage))
    return [_probe(root, used_by, storage) for root, (used_by, storage) in targets.items()]


def _probe(root: str, used_by: str, storage: StorageSettings) -> Check:
    scheme = scheme_of(root)
    where = "local filesystem"
    setting = "pipeline_root"
    if scheme != "file":
        where = describe_endpoint(storage.endpoint(scheme), scheme)
        setting = "gcs" if scheme == "gs" else scheme
    name = f"storage {root}"
    key = f".headrace-doctor-{uuid.uuid4().hex}"
    try:
        fs, path = filesystem_for(root, storage)
        if scheme == "file":
            fs.makedirs(path, exist_ok=True)
        probe = f"{path.rstrip('/')}/{key}"
        fs.pipe_file(probe, b"headrace")
        try:
            data = fs.cat_file(probe)
        finally:
            fs.rm_file(probe)
        if data != b"headrace":
            raise OSError(f"read back {data!r} instead of what was written")
    except HeadraceError as exc:  # says what is wrong itself: a credentials file, a setting
        return Check(name, False, mask(f"at {where}: {exc.message}"), exc.hint)
    except Exception as exc:
        if scheme == "file":
            fix = f"make {root} writable, or set {setting} ({env_var(setting)}) elsewhere"
        elif is_certificate_error(exc):
            fix = f"{ca_bundle_fix(where, setting)} (for {used_by})"
        else:
            fix = (
                f"check [{setting}] endpoint_url, use_tls, credentials and the bucket "
                f"({env_var(setting + '.endpoint_url')}, ...; for {used_by})"
            )
        detail = f"write/read/delete at {where} failed: {type(exc).__name__}: {exc}"
        return Check(name, False, mask(detail), fix)
    return Check(name, True, f"write, read and delete at {where} ({used_by})")


def check_python_envs(settings: Settings) -> Check:
    envs = settings.home / "envs"
    try:
        envs.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=envs, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(
            "python environments",
            False,
            f"{envs} is not writable: {exc}",
            f"make it writable, or set home ({env_var('home')}) to a writable directory",
        )
    return Check("python environments", True, f"{envs} is writable")


def _check_ray(settings: Settings) -> Check:
    """The Ray executor needs the ray package; the cluster is reached when a run starts."""
    from headrace.executors.ray_tasks import INSTALL_HINT

    try:
        import ray
    except ImportError:
        return Check("executor ray", False, "the ray package is not installed", INSTALL_HINT)
    where = settings.ray_address or "RAY_ADDRESS, else a Ray started on this machine"
    return Check("executor ray", True, f"ray {ray.__version__}; cluster: {where}")


def check_executor(settings: Settings) -> Check:
    """The local executor needs nothing; the warm one must fork a probe task from a zygote."""
    if settings.executor == "local":
        return Check("executor local", True, "tasks run as plain local processes")
    if settings.executor == "ray":
        return _check_ray(settings)
    from headrace.executors import AttemptOutcome, AttemptSpec, PythonEnvCache, WarmExecutor
    from headrace.service._doctor_probe import probe_argv

    fix = f"run tasks as plain processes: executor = local ({flag_name('executor')} local)"
    with tempfile.TemporaryDirectory(prefix="headrace-doctor-") as scratch:
        work = Path(scratch)
        executor_input = {"outputs": {"outputFile": str(work / "out" / "executor_output.json")}}
        spec = AttemptSpec(
            run_id="doctor",
            task_id="doctor",
            task_path="doctor-probe",
            attempt_number=0,
            image="python",
            argv=probe_argv(executor_input),
            env={},
            workdir=work / "work",
            log_path=work / "probe.log",
            executor_input=executor_input,
        )
        executor = WarmExecutor(envs=PythonEnvCache(settings.home / "envs"))
        outcomes: list[AttemptOutcome] = []
        done = threading.Event()

        def finished(outcome: AttemptOutcome) -> None:
            outcomes.append(outcome)
            done.set()

        try:
            executor.start(spec, finished)
            if not done.wait(_PROBE_TIMEOUT_S):
                return Check("executor warm", False, "the probe task did not end in time", fix)
        except Exception as exc:
            return Check("executor warm", False, f"{type(exc).__name__}: {exc}", fix)
        finally:
            executor.shutdown()
        log = spec.log_path.read_text(errors="replace")[-500:] if spec.log_path.exists() else ""
    outcome = outcomes[0]
    if not outcome.succeeded:
        detail = f"the probe task failed (exit {outcome.exit_code}): {outcome.error or log}"
        return Check("executor warm", False, detail.strip(), fix)
    if executor.forks != 1:
        return Check("executor warm", False, "no zygote could fork the probe task", fix)
    return Check("executor warm", True, "a zygote started and forked a probe task")
