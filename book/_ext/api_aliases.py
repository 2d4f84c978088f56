"""Sphinx extension: ``minicgmvae.NAME`` resolves to where NAME is documented.

The API reference (``book/reference/``) documents each function and class once, in the module
that defines it (``minicgmvae.kl.kl_gaussians``), the name autodoc also writes for type hints.
Readers import most names from the package itself, and the chapters link to them that way:
``{py:func}`minicgmvae.kl_gaussians```. This extension resolves such a reference (and
``minicgmvae.CGMVAE.forward``, or a path that an object re-exported by any module of the
package has there) by importing the object and retrying with its defining module and
qualified name.

A bare name in a docstring (``:class:`CheckpointError``` in ``minicgmvae.checkpoint``, where
Sphinx looks only in the current module) resolves when exactly one documented object of the
package has that last name, as ``:class:`.CheckpointError``` would. A name that is documented
nowhere, or in two places, still fails the strict build, as any broken reference does.

On the reference pages an equation reference (``:eq:`eq-kl-closed``` in a docstring) also
names the chapter the equation is in, "(13) in VAE basics": equation numbers run through
the whole book, and a number alone does not say where to look.

A module constant whose value is long (``checks.ASSIGNMENTS``, a registry of datasets) is
shown without its value: the value belongs in the source, the reference says what it is.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.ext.autodoc import DataDocumenter
from sphinx.util.inspect import object_description

PACKAGE = "minicgmvae"

#: Values whose text is longer than this are left out of a constant's entry.
MAX_VALUE_CHARS = 120


class ShortValueDataDocumenter(DataDocumenter):
    """autodoc's ``autodata`` (and a constant found by ``automodule``), showing the value only
    when it is short."""

    priority = DataDocumenter.priority + 1

    def should_suppress_value_header(self) -> bool:
        if super().should_suppress_value_header():
            return True
        try:
            return len(object_description(self.object)) > MAX_VALUE_CHARS
        except ValueError:
            return True


def canonical_name(target: str) -> str | None:
    """``minicgmvae.kl_gaussians`` -> ``minicgmvae.kl.kl_gaussians``; None when ``target``
    does not import, or names a constant (which has no defining module to look up)."""
    parts = target.split(".")
    for n in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:n]))
        except ImportError:
            continue
        rest = parts[n:]
        break
    else:
        return None
    if not rest:
        return None  # a module: documented under its own name or not at all
    for i, attr in enumerate(rest):
        obj = inspect.getattr_static(obj, attr, None)
        if obj is None:
            return None
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if i == 0:
            head = obj
    module = getattr(head, "__module__", None)
    qualname = getattr(head, "__qualname__", None)
    if not (isinstance(module, str) and module.startswith(PACKAGE) and qualname):
        return None
    return ".".join([module, qualname, *rest[1:]])


def _resolve(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> nodes.reference | None:
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    target = node["reftarget"]
    if "." not in target:
        suffix = "." + target
        found = [
            name
            for name in domain.objects
            if name.startswith(PACKAGE + ".") and name.endswith(suffix)
        ]
        if len(found) != 1:
            return None
        target = found[0]
    elif target.startswith(PACKAGE + "."):
        target = canonical_name(target)
        if target is None or target == node["reftarget"]:
            return None
    else:
        return None
    retry = node.deepcopy()
    retry["reftarget"] = target
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], target, retry, contnode
    )


def _name_equation_chapters(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if not docname.startswith("reference/"):
        return
    env = app.env
    math = env.get_domain("math")
    for ref in doctree.findall(nodes.reference):
        uri = ref.get("refuri", "")
        if "#equation-" not in uri:
            continue
        label = uri.split("#equation-", 1)[1]
        where = math.equations.get(label)
        if where is None or where[0] == docname:
            continue
        title = env.titles[where[0]].astext()
        text = ref.astext()
        ref.clear()
        ref += nodes.Text(f"{text} in {title}")


def setup(app: Sphinx) -> dict:
    app.connect("missing-reference", _resolve)
    app.connect("doctree-resolved", _name_equation_chapters)
    app.setup_extension("sphinx.ext.autodoc")
    app.add_autodocumenter(ShortValueDataDocumenter, override=True)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
