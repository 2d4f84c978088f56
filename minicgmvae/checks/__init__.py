"""Automatic, friendly feedback for the course assignments (``book/assignments/``).

Each ``check_<name>(student_fn)`` calls a student's function on seeded random inputs and on
edge cases (a sample with no positive label, a sample with one label, very large logits, ...),
compares it with the package's reference implementation, and says what is wrong in plain
words: the wrong shape, the wrong value and on which case, NaN, a missing gradient, the wrong
device. A function that raises is reported with the exception's one-line message, never a
traceback; one that still raises ``NotImplementedError`` is "not implemented yet".

    >>> import torch
    >>> from minicgmvae import checks
    >>> def kl_gaussians(mu1, logvar1, mu2, logvar2):
    ...     ratio, mean = torch.exp(logvar1 - logvar2), (mu1 - mu2) ** 2 / torch.exp(logvar2)
    ...     return 0.5 * (logvar2 - logvar1 + ratio + mean - 1).sum(-1)
    >>> checks.check_kl_gaussians(kl_gaussians, verbose=False).passed
    True

A student's function must do the work itself: a check fails a function that runs the
package's own version of it, called directly, through an alias or through a wrapper
(:mod:`~minicgmvae.checks.guard`). Under nbgrader a failed check fails its test cell,
whatever the notebook does (:func:`grading`).

A check never raises because a student's function is wrong, and leaves the global random
state as it found it. It returns a :class:`CheckResult` (shown as a short report in a
notebook) and records it, so that :func:`summary` can list a notebook's results.

:data:`ASSIGNMENTS` lists the assignments, the functions students write, their checks, and
every name of the package each notebook uses: the stable API of the course kit (a renamed
name keeps working with a ``DeprecationWarning``; see :mod:`minicgmvae._compat`).

Layout (everything above is importable from here, ``minicgmvae.checks``):

- :mod:`~minicgmvae.checks.harness`: running a check (its own random state, the student's
  function called safely, the problems collected by kind) and the plain-words helpers;
- :mod:`~minicgmvae.checks.judges`: judging a tensor against the reference's (type, shape,
  device, dtype, NaN, value, gradients), shared by the checks;
- one module per assignment with its checks, their cases and their diagnoses:
  :mod:`~minicgmvae.checks.a1_reparam_kl`, :mod:`~minicgmvae.checks.a2_mixture_prior`,
  :mod:`~minicgmvae.checks.a3_contrastive`, :mod:`~minicgmvae.checks.a4_objective_training`
  and :mod:`~minicgmvae.checks.a5_evaluation`;
- :mod:`~minicgmvae.checks.results`: :class:`CheckResult`, the recorded results and
  :func:`summary`;
- :mod:`~minicgmvae.checks.assignments`: :data:`ASSIGNMENTS`;
- :mod:`~minicgmvae.checks.guard`: the student's own code (the package's versions of the
  assigned functions must not run inside them) and :func:`grading`.
"""

from __future__ import annotations

from .a1_reparam_kl import check_kl_gaussians, check_reparameterize
from .a2_mixture_prior import check_log_normal, check_mixture_log_density
from .a3_contrastive import check_bce_from_logits, check_contrastive_loss
from .a4_objective_training import check_total_loss, check_train_epoch, check_training_step
from .a5_evaluation import check_example_f1, check_honest_protocol, check_paper_protocol
from .assignments import ASSIGNMENTS, Assignment, assignment_of
from .guard import grading

# The constants, re-exported as before though not in __all__: the report's marks and the
# environment variable that makes an error inside a check raise.
from .harness import STRICT_ENV as STRICT_ENV
from .harness import DeviceLike as DeviceLike
from .harness import StudentFn as StudentFn
from .results import FAIL_MARK as FAIL_MARK
from .results import NOT_IMPLEMENTED as NOT_IMPLEMENTED
from .results import PASS_MARK as PASS_MARK
from .results import TODO_MARK as TODO_MARK
from .results import (
    CheckResult,
    clear_results,
    recorded_results,
    summary,
)

__all__ = [
    "ASSIGNMENTS",
    "Assignment",
    "CheckResult",
    "assignment_of",
    "check_bce_from_logits",
    "check_contrastive_loss",
    "check_example_f1",
    "check_honest_protocol",
    "check_kl_gaussians",
    "check_log_normal",
    "check_mixture_log_density",
    "check_paper_protocol",
    "check_reparameterize",
    "check_total_loss",
    "check_train_epoch",
    "check_training_step",
    "clear_results",
    "grading",
    "recorded_results",
    "summary",
]

