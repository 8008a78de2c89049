"""The warm zygote: a Python that has imported kfp's executor and forks one process per attempt.

WarmExecutor runs this file as `python _zygote.py FD` with the environment its tasks get, and
talks to it over the unix socket FD. The zygote imports only the standard library and kfp, so a
task sees what a fresh `python3 -m kfp.dsl.executor_main` would see; its children become that
process (new session, the task's cwd, environment and pipes) and run kfp's executor unchanged.

The zygote forks ahead: it keeps a spare child for each free slot (slots: as many as tasks have
run at once, at least one), in its own session, with its program directory made, and waiting
on a socket whose other end the zygote passes to Headrace. Headrace starts a task by sending it
to a spare directly, so the fork, the copy-on-write faults that follow it and the zygote itself
are off the task's critical path. A spare that is handed no task exits when Headrace hangs up or
dies. The zygote reaps every child and reports its exit status.

Messages are length-prefixed JSON; a task carries its stdout and stderr pipes, a spare's
announcement its socket.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib.util
import io
import json
import os
import runpy
import selectors
import shutil
import signal
import socket
import stat
import struct
import sys
import tempfile
import threading
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

_HEADER = struct.Struct("!I")
EXECUTOR_MODULE = "kfp.dsl.executor_main"
MODULE_FILE = "ephemeral_component.py"
_BYTECODE_FILE = os.path.basename(importlib.util.cache_from_source(MODULE_FILE))
_STD = ("stdin", "stdout", "stderr")
# A sys.modules entry the zygote moves to the end before each fork: what follows it in a child
# was imported by the task. (Finding that by name would read every preloaded module's entry,
# and each read writes a reference count on a page shared with the zygote, which copies it:
# two scans of sys.modules were over half of a no-op task's page faults.)
_FORK_MARK = "_headrace_zygote_fork_mark"
_FORK_MARK_MODULE = types.ModuleType(_FORK_MARK)
_WARM_UP_ROUNDS = 10
_WARM_UP_SOURCE = """
import kfp
from kfp import dsl
from kfp.dsl import *
from typing import *

def warm_up(x: int) -> int:
    return x + 1
"""
_EXECUTOR: Any = None
"""runpy's (name, spec, code) of kfp's executor module, looked up once by the zygote."""


def send_message(sock: socket.socket, message: dict[str, Any], fds: Sequence[int] = ()) -> None:
    """Send one message; fds travel with its first bytes."""
    body = json.dumps(message).encode()
    data = _HEADER.pack(len(body)) + body
    sent = socket.send_fds(sock, [data], list(fds)) if fds else 0
    if sent < len(data):
        # Never an empty send: once a spare has read its whole task it closes its end, and a
        # send then fails, which would make the sender hand the task to another spare too.
        sock.sendall(data[sent:])


def receive_message(
    sock: socket.socket, max_fds: int = 0
) -> tuple[dict[str, Any], list[int]] | None:
    """Receive one message and the fds sent with it; None when the peer has gone."""
    header, fds, _, _ = (
        socket.recv_fds(sock, _HEADER.size, max_fds)
        if max_fds
        else (
            sock.recv(_HEADER.size),
            [],
            0,
            None,
        )
    )
    if not header:
        return None
    header += _receive_exactly(sock, _HEADER.size - len(header))
    (size,) = _HEADER.unpack(header)
    message: dict[str, Any] = json.loads(_receive_exactly(sock, size))
    return message, fds


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise ConnectionError("the peer closed the socket in the middle of a message")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


@dataclass
class _Task:
    """What a forked child needs to become the task."""

    stdout: int
    stderr: int
    source: str
    """The component's source: the `$0` kfp's command writes to ephemeral_component.py."""
    tmp: str
    """Where `mktemp -d` would make the program directory: $TMPDIR (from the task's cwd) or /tmp."""
    program_dir: str | None
    """The program directory the zygote made for this child; None if it could not."""
    args: list[str]
    env_set: dict[str, str]
    """The variables whose values differ from the zygote's environment (which the child has)."""
    env_unset: list[str]
    """The zygote's variables the task does not have."""
    pwd: str | None
    """The task's $PWD, which the shell keeps if it names the working directory."""
    cwd: str
    announce: str | None
    """Headrace's datagram address for the exit code, announced as the task's last act."""


class _Server:
    """The zygote's loop: fork spares for Headrace, signal on request, reap and report exits.

    Each spare's socket goes to Headrace, which hands a task to the spare directly. The zygote
    forks one spare at start, one in place of each child it reaps (forked while Headrace records
    a task's end, rather than beside a running task) and one whenever Headrace asks, which it
    does only when it has no spare and none is coming: so the zygote keeps a child for each
    slot that has been used at once.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.children: dict[int, str | None] = {}
        """pid -> program directory of each child (spare or running a task) not yet reaped."""
        self.free_dirs: list[str] = []
        """Program directories of finished tasks that left nothing else there, for new spares."""
        self.tmp = program_tmp("/", os.environ.get("TMPDIR"))
        self.wake_r, self.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.sock, selectors.EVENT_READ)
        self.selector.register(self.wake_r, selectors.EVENT_READ)

    def serve(self, after_first_spare: Callable[[], None]) -> _Task | None:
        """Serve until WarmExecutor hangs up (None), or return the task in a forked child."""
        try:
            return self._serve(after_first_spare)
        except ConnectionError:
            # Headrace has gone without hanging up: end its tasks, as a hang-up would.
            self._stop()
            return None

    def _serve(self, after_first_spare: Callable[[], None]) -> _Task | None:
        send_message(self.sock, {"ready": os.getpid()})
        # Each child forked below returns from here, in the child, as the task it was handed.
        if (task := self._fork_promised()) is not None:
            return task
        after_first_spare()
        while True:
            for key, _ in self.selector.select():
                if key.fd == self.wake_r:
                    while _drain(self.wake_r):
                        pass
                    if (task := self._reap()) is not None:
                        return task
                    continue
                received = receive_message(self.sock)
                if received is None:
                    self._stop()
                    return None
                message = received[0]
                if message["op"] == "want":
                    if (task := self._fork_promised()) is not None:
                        return task
                elif message["op"] == "signal" and message["pid"] in self.children:
                    _signal_child(message["pid"], signal.Signals(message["signal"]))

    def _fork_spare(self) -> _Task | None:
        """Fork a spare and give its socket to Headrace; in the spare, wait for its task."""
        program_dir = self.free_dirs.pop() if self.free_dirs else None
        if program_dir is None:
            with contextlib.suppress(OSError):
                # What `mktemp -d` does in kfp's command, done ahead of the task.
                program_dir = tempfile.mkdtemp(prefix="tmp.", dir=self.tmp)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        sys.modules.pop(_FORK_MARK, None)
        sys.modules[_FORK_MARK] = _FORK_MARK_MODULE
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            if program_dir is not None:
                self.free_dirs.append(program_dir)
            raise
        if pid != 0:
            theirs.close()
            self.children[pid] = program_dir
            try:
                send_message(self.sock, {"spare": pid}, [ours.fileno()])
            finally:
                ours.close()
            return None
        ours.close()
        self._leave()
        # A session of its own now, so that a signal for the task finds its group at once.
        os.setsid()
        try:
            received = receive_message(theirs, max_fds=2)
        except (OSError, ValueError):
            received = None
        if received is None or len(received[1]) != 2:
            os._exit(0)  # Headrace hung up or died: never a task
        theirs.close()
        task, (stdout, stderr) = received
        return _Task(
            stdout,
            stderr,
            task["source"],
            task["tmp"],
            program_dir,
            task["args"],
            task["env_set"],
            task["env_unset"],
            task["pwd"],
            task["cwd"],
            task.get("announce"),
        )

    def _reap(self) -> _Task | None:
        """Reap and report the children that exited, forking one in place of each."""
        for pid in list(self.children):
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
                continue
            # The group id stays ours until the leader is reaped: kill what it left behind first.
            _signal_group(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            program_dir = self.children.pop(pid)
            # Headrace hears first; the rest happens while it records the end.
            send_message(self.sock, {"pid": pid, "status": status})
            if program_dir is not None and _ready_for_reuse(program_dir):
                self.free_dirs.append(program_dir)
            if (task := self._fork_promised()) is not None:
                return task
        return None

    def _fork_promised(self) -> _Task | None:
        """Fork a spare Headrace counts on (at start, per reaped child, per `want`), or say
        why there is none, so that it never waits for one that is not coming."""
        try:
            return self._fork_spare()
        except OSError as exc:
            send_message(self.sock, {"fork_error": str(exc)})
            return None

    def _stop(self) -> None:
        for pid, program_dir in self.children.items():
            _signal_group(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            if program_dir is not None:
                self.free_dirs.append(program_dir)
        self.children.clear()
        for program_dir in self.free_dirs:
            shutil.rmtree(program_dir, ignore_errors=True)
        self.free_dirs.clear()

    def _leave(self) -> None:
        """In a forked child: drop everything that belongs to the zygote."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        self.selector.close()
        self.sock.close()
        os.close(self.wake_r)
        os.close(self.wake_w)
        self.children.clear()
        self.free_dirs.clear()


def program_tmp(cwd: str, tmpdir: str | None) -> str:
    """The directory `mktemp -d` uses, from a shell in cwd: $TMPDIR or /tmp."""
    return os.path.normpath(os.path.join(cwd, tmpdir or "/tmp"))


def _ready_for_reuse(path: str) -> bool:
    """Ready a finished task's program directory for another task; False (and removed) if the
    task left anything there but its module and the bytecode its import wrote.

    Reused, the directory and its `__pycache__` cost no `mkdir` and `rmdir` per task (on ext4
    about 0.45 ms of CPU). The module and its bytecode stay for the next task: one of the same
    component imports that bytecode instead of compiling its source and writing it again, and
    one of another component replaces both (`_write_program`). A task finds what kfp's command
    and import would leave there (the module's time is that of its first writing).
    """
    try:
        if _holds_only_its_program(path):
            return True
    except OSError:
        pass
    shutil.rmtree(path, ignore_errors=True)
    return False


def _holds_only_its_program(path: str) -> bool:
    """Whether a program directory holds nothing but the module and its bytecode, as files."""
    for name in os.listdir(path):
        full = os.path.join(path, name)
        mode = os.lstat(full).st_mode
        if name == MODULE_FILE and stat.S_ISREG(mode):
            continue
        if name != "__pycache__" or not stat.S_ISDIR(mode):
            return False
        for cached in os.listdir(full):
            bytecode = os.path.join(full, cached)
            if cached != _BYTECODE_FILE or not stat.S_ISREG(os.lstat(bytecode).st_mode):
                return False
    return True


def _write_program(task: _Task) -> str:
    """The program directory with the component's source in it, as kfp's command leaves it.

    The zygote gave this child a directory when it forked it (a new one, or one a finished task
    left with only its program in it) and takes it back when it reaps the child; a task whose
    $TMPDIR points elsewhere gets one there, as `mktemp -d` would give it, and it stays there, as
    kfp's command leaves it. A module that is already there, unchanged, is not written again.
    """
    program_dir = task.program_dir
    if program_dir is None or os.path.dirname(program_dir) != task.tmp:
        program_dir = tempfile.mkdtemp(prefix="tmp.", dir=task.tmp)
    path = os.path.join(program_dir, MODULE_FILE)
    source = os.fsencode(task.source)
    try:
        with open(path, "rb") as module:
            unchanged = module.read() == source
    except FileNotFoundError:
        unchanged = False
    if not unchanged:
        # The last module's bytecode goes first: were this module of the same size and written
        # in the same second, the import would take that bytecode as this module's.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(importlib.util.cache_from_source(path))
        with open(path, "wb") as module:
            module.write(source)
    # Left unwritten, an unchanged module keeps the time its bytecode was checked against.
    return program_dir


def _become(task: _Task) -> None:
    """Turn this forked child into the process `sh -ec <kfp's command>` would have started."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd, target in ((devnull, 0), (task.stdout, 1), (task.stderr, 2)):
        os.dup2(fd, target)
    for fd in {devnull, task.stdout, task.stderr} - {0, 1, 2}:
        os.close(fd)
    os.chdir(task.cwd)
    # The child has the zygote's environment, which is the task's but for a few variables:
    # change only those (replacing the whole of os.environ copied a hundred shared pages).
    environ = os.environ
    for name in task.env_unset:
        environ.pop(name, None)
    for name, value in task.env_set.items():
        environ[name] = value
    environ["PWD"] = _shell_pwd(task.pwd)
    tempfile.tempdir = None
    if not sys.flags.safe_path:
        sys.path[0] = os.getcwd()
    streams = [_std_stream(fd, f"<{name}>", getattr(sys, name)) for fd, name in enumerate(_STD)]
    for name, stream in zip(_STD, streams, strict=True):
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    try:
        program_dir = _write_program(task)
    except OSError as exc:
        # `sh -e` stops where mktemp or printf failed, with status 1.
        print(f"mktemp: failed to create a directory in {task.tmp}: {exc}", file=sys.stderr)
        sys.stderr.flush()
        os._exit(1)
    module_path = os.path.join(program_dir, MODULE_FILE)
    args = ["--component_module_path", module_path, *task.args]
    sys.argv = ["-m", *args]
    sys.orig_argv = [sys.executable, "-m", EXECUTOR_MODULE, *args]
    # `python -m` starts from an empty __main__ and imports the executor module only as __main__.
    main = types.ModuleType("__main__")
    main.__annotations__ = {}
    sys.modules["__main__"] = main
    sys.modules.pop(EXECUTOR_MODULE, None)
    package = sys.modules.get(EXECUTOR_MODULE.rpartition(".")[0])
    if package is not None and hasattr(package, "executor_main"):
        delattr(package, "executor_main")


def _shell_pwd(inherited: str | None) -> str:
    # sh keeps an inherited $PWD that names the working directory, else exports the real path.
    cwd = os.getcwd()
    if inherited and os.path.isabs(inherited):
        with contextlib.suppress(OSError):
            if os.path.samestat(os.stat(inherited), os.stat(cwd)):
                return inherited
    return cwd


def _std_stream(fd: int, name: str, like: TextIO) -> io.TextIOWrapper:
    """A standard stream on fd made the way the interpreter made `like` at startup."""
    writing = fd != 0
    # Unbuffered (-u, PYTHONUNBUFFERED) shows only as write-through, on all three streams.
    unbuffered = isinstance(like, io.TextIOWrapper) and like.write_through
    binary: Any = open(  # noqa: SIM115 - the stream lives as long as the process
        fd, "wb" if writing else "rb", buffering=0 if unbuffered and writing else -1, closefd=False
    )
    raw = getattr(binary, "raw", binary)
    raw.name = name
    stream = io.TextIOWrapper(
        binary,
        encoding=like.encoding,
        errors=like.errors,
        newline="\n",
        line_buffering=not unbuffered and (raw.isatty() or fd == 2),
        write_through=unbuffered,
    )
    stream.mode = "w" if writing else "r"  # type: ignore[misc]
    return stream


def _run(task: _Task) -> NoReturn:
    """Be the task: run kfp's executor as `python -m` would, then exit as the interpreter would."""
    _become(task)
    interrupted = False
    try:
        # What `python -m` calls; the traceback of a failing task then starts where it would.
        _lookup_executor_once()
        runpy._run_module_as_main(EXECUTOR_MODULE)  # type: ignore[attr-defined]
        code = 0
    except SystemExit as exc:
        code = _exit_status(exc.code)
    except BaseException as exc:
        # Drop this frame: the interpreter shows a `-m` traceback from runpy down.
        tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        interrupted = isinstance(exc, KeyboardInterrupt)
        code = 1
    code = _finalize(code)
    if interrupted:
        # Since Python 3.8 an uncaught KeyboardInterrupt ends the process by SIGINT.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    if task.announce is not None:
        _announce_exit(task.announce, code)
    os._exit(code)


def _announce_exit(address: str, code: int) -> None:
    """Tell Headrace the exit code now, so it need not wait for the exit and the reaping.

    The standard streams are closed first, so that the log reader sees their end too (unless a
    process the task left holds them). The datagram's socket is made here, after the task's
    code has run, so the task never sees it; the kernel tells Headrace which pid sent it.
    """
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            os.close(fd)
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)  # a full queue: Headrace learns of the end from the zygote
        sock.sendto(json.dumps({"exit": code}).encode(), address)


def _lookup_executor_once() -> None:
    """Make runpy's next lookup of kfp's executor module return what the zygote looked up.

    `python -m` finds the module and reads its code from disk; the zygote did that once
    (`_EXECUTOR`), which spares each task about 0.4 ms. runpy is restored at its first call.
    """
    original = runpy._get_module_details  # type: ignore[attr-defined]

    def lookup(name: str, error: type[Exception] = ImportError) -> Any:
        runpy._get_module_details = original  # type: ignore[attr-defined]
        if name == EXECUTOR_MODULE and _EXECUTOR is not None:
            return _EXECUTOR
        return original(name, error)

    runpy._get_module_details = lookup  # type: ignore[attr-defined]


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _finalize(code: int) -> int:
    """The observable part of interpreter shutdown, in its order; the exit status."""
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    # Tearing down the zygote's modules would write to (so copy) every page shared with it, at
    # a cost above the task's: clear only the modules the task brought (its own __main__ and
    # what it imported), last imported first and as the interpreter clears them, so that what
    # their globals hold is finalized as it would be (an open file flushed and closed).
    brought = _brought_modules()
    for module in brought:
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            _clear_namespace(namespace)
    del brought
    gc.collect()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            code = 120
    return code


def _brought_modules() -> list[Any]:
    """The modules the task imported, last first, then its __main__; none if the mark is gone."""
    brought: list[Any] = []
    for name in reversed(sys.modules):
        if name == _FORK_MARK:
            main = sys.modules.get("__main__")
            return brought if main is None else [*brought, main]
        brought.append(sys.modules[name])
    return []


def _clear_namespace(namespace: dict[str, Any]) -> None:
    # The order of CPython's module clearing: `_name`s first, then all but __builtins__.
    single_underscore = [n for n in namespace if n.startswith("_") and not n.startswith("__")]
    for name in single_underscore:
        namespace[name] = None
    for name in list(namespace):
        if name != "__builtins__":
            namespace[name] = None


def _drain(fd: int) -> bool:
    try:
        return bool(os.read(fd, 4096))
    except BlockingIOError:
        return False


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _signal_child(pid: int, sig: signal.Signals) -> None:
    """Signal a child not yet reaped and its group.

    A spare forked a moment ago may not have made its session yet (a busy machine can hold it
    between fork and setsid), and a task may already be on its way to it: then there is no
    group to signal, and the child itself is (its pid cannot be reused until it is reaped).
    """
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    except PermissionError:
        pass


def _warm_up() -> None:
    """Run kfp's executor_main on a no-op component a few times, then undo what it left.

    A child that runs a function for the first times writes to its code object (CPython
    counts calls before it specializes the bytecode), and compiles the regular expressions
    argparse and logging use, copying the pages it writes. Done here first, every child finds
    the code specialized and the expressions in re's cache (about 0.5 ms less per task). What
    a run leaves behind is undone: the root logger's handler and level, the component module,
    its sys.path entry and importer, argv and stdout.
    """
    import logging

    executor_main = sys.modules[EXECUTOR_MODULE].executor_main
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    argv, path, stdout = sys.argv, list(sys.path), sys.stdout
    importers = set(sys.path_importer_cache)
    work = tempfile.mkdtemp(prefix="headrace-zygote-warm-up-")
    module = os.path.join(work, MODULE_FILE)
    with open(module, "w") as f:
        f.write(_WARM_UP_SOURCE)
    out = os.path.join(work, "out")
    try:
        sys.stdout = io.StringIO()
        for n in range(_WARM_UP_ROUNDS):
            executor_input = {
                "inputs": {"parameterValues": {"x": n}},
                "outputs": {
                    "parameters": {"Output": {"outputFile": os.path.join(out, "Output")}},
                    "outputFile": os.path.join(out, "executor_output.json"),
                },
            }
            sys.argv = [
                "-m",
                *("--component_module_path", module),
                *("--executor_input", json.dumps(executor_input)),
                *("--function_to_execute", "warm_up"),
            ]
            executor_main()
            for handler in root.handlers[len(handlers) :]:
                root.removeHandler(handler)
                handler.close()
            root.setLevel(level)
            sys.modules.pop(MODULE_FILE.removesuffix(".py"), None)
            sys.path[:] = path
    finally:
        sys.argv, sys.stdout = argv, stdout
        for key in set(sys.path_importer_cache) - importers:
            del sys.path_importer_cache[key]
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """Import what every task needs, then serve WarmExecutor on the socket given as argv[1]."""
    if not sys.flags.safe_path:
        sys.path[0] = os.getcwd()  # not this file's directory: tasks must not import its siblings
    sock = socket.socket(fileno=int(sys.argv[1]))
    import locale  # noqa: F401 - imported by every task's first text-mode open()

    import kfp

    global _EXECUTOR
    # Before the module is imported below, or runpy warns that it is already there.
    _EXECUTOR = runpy._get_module_details(EXECUTOR_MODULE)  # type: ignore[attr-defined]
    import kfp.dsl.executor_main  # noqa: F401

    # Imported objects never die: keep the collector from touching (and copying) their pages.
    gc.freeze()

    def warm_up() -> None:
        # After the first spare is forked, so that the first task does not wait for it.
        _warm_up()
        gc.freeze()

    task = _Server(sock).serve(warm_up)
    if task is not None:
        _run(task)


if __name__ == "__main__":
    main()
