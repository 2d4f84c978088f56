"""What keeps grading honest: the student's own code, and grading that cannot be switched off.

**Own code** (:class:`OwnCodeWatch`). The checks compare a student's function with the
package's version of the same idea, so calling that version would pass every check. While a
check calls the student's function, a profile hook (:func:`sys.setprofile`) sees every
Python call; when a code object of the package's version of that function runs
(:data:`OWN_VERSIONS`), whether called directly, through an alias, through a wrapper around a
reference captured earlier, or through any other package function that uses it, the check
fails and says so. The hook runs only during the student's call (the check's own reference
computation runs outside it) and only looks up each code object once, so honest code pays
next to nothing. A copy of the package's code object (``code.replace``, a re-imported
module, ``exec`` of its source, docstring included) is recognised too. Switching the hook off
from inside the function (``sys.setprofile``) fails the check as well.

Not seen: work handed to another process, or to a thread that was running before the
check; a compiled copy (``torch.jit.script``), which runs no Python code; answers looked up
from a table computed before the check ran. The instructor page says how to look for these.

**Grading** (:func:`grading`). nbgrader sets the environment variable ``NBGRADER_EXECUTION``
in the process that starts the kernel, for ``autograde`` and *Validate*. :func:`grading`
reads it at the moment it is called, from the environment and, on Linux, also from the
environment the kernel process started with (``/proc/self/environ``), which no change to
``os.environ`` in the notebook undoes.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

#: The environment variable that nbgrader's ``autograde`` and *Validate* set.
GRADING_ENV = "NBGRADER_EXECUTION"

#: For each function students write, the package's code that implements the same idea,
#: dotted from ``minicgmvae``. Other package functions stay free to use: a student's
#: ``total_loss`` may call ``minicgmvae.bce_from_logits``, but not ``CGMVAE.loss``.
OWN_VERSIONS: dict[str, tuple[str, ...]] = {
    "reparameterize": ("gaussian.reparameterize",),
    "kl_gaussians": ("kl.kl_gaussians",),
    "log_normal": ("gaussian.log_normal",),
    "mixture_log_density": ("prior.mixture_log_density",),
    "bce_from_logits": ("losses.bce_from_logits",),
    "contrastive_loss": ("losses.contrastive_loss",),
    "total_loss": ("model.CGMVAE.loss",),
    "training_step": ("training.training_step",),
    "train_epoch": ("training.train_one_epoch",),
    # all_metrics and threshold_sweep compute example-based F1 in _metrics_from_predictions
    "example_f1": ("metrics.example_f1", "metrics._metrics_from_predictions",
                   "metrics.torch_f1_sweep"),
    # honest_per_metric_protocol with the test set as "validation" is the paper's protocol
    "paper_protocol": ("protocols.paper_protocol", "protocols._per_metric_result"),
    "honest_protocol": ("protocols.honest_protocol", "protocols.choose_threshold"),
}


def grading() -> bool:
    """Whether nbgrader runs this notebook now (``nbgrader autograde`` or *Validate*)."""
    return GRADING_ENV in os.environ or GRADING_ENV in _initial_environment()


def _initial_environment() -> set[str]:
    """The names in the environment this process started with (Linux; else empty)."""
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return set()
    return {entry.split(b"=", 1)[0].decode("utf-8", "replace")
            for entry in raw.split(b"\0") if b"=" in entry}


# =========================================================================== the package's code
class UsedPackage(Exception):
    """Raised by a check when the student's function ran the package's own version."""


def _code_of(dotted: str) -> CodeType:
    """The code object of ``minicgmvae.<dotted>``, a function or a method."""
    module, _, rest = dotted.partition(".")
    obj: Any = importlib.import_module(f"minicgmvae.{module}")
    for part in rest.split("."):
        obj = getattr(obj, part)
    return inspect.unwrap(obj).__code__


def _fingerprint(code: CodeType) -> tuple[Any, ...]:
    # The constants (the docstring among them) and the names it uses: equal for a copy of
    # the package's code, different for a student's own function with its own docstring.
    return (code.co_consts, code.co_names, code.co_varnames)


class _References:
    """Every code object of :data:`OWN_VERSIONS`, found by identity, by place and by content."""

    def __init__(self, table: dict[str, tuple[str, ...]]) -> None:
        self.table = table
        self.by_id: dict[int, str] = {}
        self.by_place: dict[tuple[str, int, str], str] = {}
        self.by_print: dict[tuple[Any, ...], str] = {}
        self._keep: list[CodeType] = []
        for names in table.values():
            for dotted in names:
                code = _code_of(dotted)
                self._keep.append(code)
                self.by_id[id(code)] = dotted
                self.by_place[(code.co_filename, code.co_firstlineno, code.co_name)] = dotted
                self.by_print[_fingerprint(code)] = dotted

    def match(self, code: CodeType) -> str | None:
        found = self.by_id.get(id(code))
        if found is None:
            found = self.by_place.get((code.co_filename, code.co_firstlineno, code.co_name))
        if found is None:
            try:
                found = self.by_print.get(_fingerprint(code))
            except TypeError:  # an unhashable constant: not a copy of the package's code
                found = None
        return found


_REFERENCES: _References | None = None
#: id(code) -> (code, the reference it is or None); the code object is kept so that its id
#: cannot be reused while it is in here.
_SEEN: dict[int, tuple[CodeType, str | None]] = {}
_MAX_SEEN = 50_000
_ACTIVE: list[OwnCodeWatch] = []
_OWNER = [0]  # the thread whose check installed the hook


def _switches() -> tuple[Callable[..., Any], ...]:
    """The built-ins that can remove or silence the hook."""
    found: list[Callable[..., Any]] = [sys.setprofile]
    every_thread = getattr(sys, "_setprofileallthreads", None)  # Python 3.12+
    found += [every_thread] if every_thread is not None else []
    monitoring = getattr(sys, "monitoring", None)  # Python 3.12+
    if monitoring is not None:
        found += [getattr(monitoring, n) for n in ("set_events", "set_local_events",
                                                   "free_tool_id", "register_callback")]
    return tuple(found)


_SWITCHES = _switches()


def _reference_of(code: CodeType) -> str | None:
    seen = _SEEN.get(id(code))
    if seen is None:
        assert _REFERENCES is not None
        if len(_SEEN) > _MAX_SEEN:
            _SEEN.clear()
        seen = _SEEN[id(code)] = (code, _REFERENCES.match(code))
    return seen[1]


def _profile(frame: FrameType, event: str, arg: Any) -> None:
    """The profile hook: note package references run, and attempts to remove the hook."""
    if not _ACTIVE:
        if threading.get_ident() != _OWNER[0]:
            sys.setprofile(None)  # a thread started during a check that outlived it
        return
    if event == "call":
        name = _reference_of(frame.f_code)
        if name is not None:
            for watch in _ACTIVE:
                if name in watch.forbidden:
                    watch.reached.append(name)
    elif event == "c_call" and any(arg is switch for switch in _SWITCHES):
        for watch in _ACTIVE:
            watch.switched_off = True


class OwnCodeWatch:
    """Watches one call of a student's function for the package's version of ``function``."""

    def __init__(self, function: str) -> None:
        self.function = function
        self.forbidden = frozenset(OWN_VERSIONS.get(function, ()))
        self.reached: list[str] = []
        self.switched_off = False

    def __enter__(self) -> OwnCodeWatch:
        global _REFERENCES
        if _REFERENCES is None or _REFERENCES.table is not OWN_VERSIONS:
            _REFERENCES = _References(OWN_VERSIONS)
            _SEEN.clear()
        self._outermost = not _ACTIVE
        if self._outermost:
            self._previous = (sys.getprofile(), threading.getprofile())
            _OWNER[0] = threading.get_ident()
            threading.setprofile(_profile)  # threads started during the call
        _ACTIVE.append(self)
        if self._outermost:
            sys.setprofile(_profile)  # last: from here on the hook sees every call
        return self

    def __exit__(self, *exc: object) -> None:
        replaced = sys.getprofile() is not _profile
        _ACTIVE.remove(self)  # first: the hook ignores what follows
        if self._outermost:
            sys_previous, threading_previous = self._previous
            sys.setprofile(sys_previous)
            threading.setprofile(threading_previous)
        self.switched_off = self.switched_off or replaced

    def problem(self) -> str | None:
        """The message for the student, or None if their own code did the work."""
        f = self.function
        if self.reached:
            return (f"`{f}` calls minicgmvae's own version (minicgmvae.{self.reached[0]}): "
                    f"write it yourself. The check compares your `{f}` with that version, "
                    "so calling it proves nothing.")
        if self.switched_off:
            return (f"`{f}` switches off what the check watches (sys.setprofile): remove "
                    "that, and write the function yourself.")
        return None


def watch_own_code(function: str) -> OwnCodeWatch:
    """A context manager that watches a student's ``function`` while it runs."""
    return OwnCodeWatch(function)
