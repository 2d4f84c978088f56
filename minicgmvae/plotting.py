"""One plotting style for the whole book, and the picture of the model.

:func:`use_book_style` sets the Matplotlib defaults that every chapter uses (called in each
chapter's first code cell), and :func:`architecture_figure` draws C-GMVAE as the authors' code
builds it: the feature branch with two samples :math:`z_1, z_2 \\sim q(z \\mid x)`, the label
branch :math:`z_y`, the decoder that reads :math:`[x; z]`, the shared label embeddings
:math:`E`, and the four losses. A chapter passes ``highlight=`` to mark the piece it builds.
Notation: ``book/notation.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

#: Matplotlib settings shared by every figure of the book.
BOOK_STYLE: dict[str, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.framealpha": 0.9,
    "figure.titlesize": 12,
    "axes.grid": True,
    "axes.axisbelow": True,  # grid lines under every artist: hidden by heatmaps
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def use_book_style() -> None:
    """Apply :data:`BOOK_STYLE` to Matplotlib's defaults (for the rest of the session)."""
    mpl.rcParams.update(BOOK_STYLE)


#: The boxes of :func:`architecture_figure`, by component name, as (centre x, centre y,
#: width, height, text) in the coordinates of the drawing's own axes.
COMPONENTS: dict[str, tuple[float, float, float, float, str]] = {
    "x": (1.0, 6.0, 1.7, 0.9, "features\n$x \\in \\mathbb{R}^d$"),
    "y": (1.0, 3.5, 1.7, 0.9, "labels\n$y \\in \\{0,1\\}^L$"),
    "feature_encoder": (3.6, 6.0, 2.3, 1.0,
                        "feature encoder\n$q(z \\mid x) = \\mathcal{N}(\\mu_x, \\sigma_x^2)$"),
    "samples": (6.4, 6.0, 2.3, 1.0,
                "feature branch\n$z_1, z_2 \\sim q(z \\mid x)$\n(evaluation: $z = \\mu_x$)"),
    "label_embeddings": (3.6, 1.0, 2.3, 1.0,
                         "label embeddings\n$E \\in \\mathbb{R}^{L \\times e}$"),
    "label_encoder": (6.4, 1.0, 2.3, 1.0,
                      "label encoder\n$\\mathcal{N}(\\mu_i, \\sigma_i^2)$, $i = 1..L$"),
    "prior": (6.4, 3.5, 2.3, 1.0,
              "mixture prior $p(z \\mid y)$\nover the positives $P(y)$"),
    "label_branch": (9.1, 1.0, 2.1, 1.0,
                     "label branch\n$z_y$ = mean of $\\mu_i$,\n$i \\in P(y)$"),
    "decoder": (11.6, 3.5, 1.9, 5.9,
                "decoder\n$g([x; z])$\n\nshared by\nboth branches\n\n"
                "unit vector\nin $\\mathbb{R}^e$"),
    "kl": (9.1, 3.5, 2.3, 1.0, "KL loss\n$\\mathrm{KL}(q(z \\mid x) \\,\\|\\, p(z \\mid y))$"),
    "bce_feature": (14.45, 6.0, 2.5, 1.0,
                    "BCE loss on $g_1, g_2$\nscores $s_i = g^\\top E_i$"),
    "contrastive": (14.45, 3.5, 2.5, 1.0,
                    "contrastive loss\nanchors $g_y, g_1$ vs all $E_j$"),
    "bce_label": (14.45, 1.0, 2.5, 1.0, "BCE loss on $g_y$\nscores $s_i = g^\\top E_i$"),
}

#: The four losses of the objective (:eq:`eq-total-code`).
LOSSES = ("bce_feature", "bce_label", "kl", "contrastive")

#: The groups of components that a chapter can pass to ``highlight=`` by name (one
#: component's own name works too, see :func:`resolve_highlight`).
GROUPS: dict[str, tuple[str, ...]] = {
    "vae": ("feature_encoder", "samples", "kl"),  # chapter 2
    "prior": ("label_embeddings", "label_encoder", "prior", "label_branch", "kl"),  # ch. 3
    "contrastive": ("decoder", "contrastive", "label_embeddings"),  # chapter 4
    "objective": LOSSES,  # chapter 5
}

# (from, to, text on the arrow, where the arrow leaves/enters: 'h' horizontal, 'v' vertical)
ARROWS: tuple[tuple[str, str, str, str], ...] = (
    ("x", "feature_encoder", "", "h"),
    ("feature_encoder", "samples", "", "h"),
    ("label_embeddings", "label_encoder", "", "h"),
    ("label_encoder", "prior", "", "v"),
    ("y", "prior", "$P(y)$", "h"),
    ("label_encoder", "label_branch", "", "h"),
    ("prior", "kl", "", "h"),
    ("samples", "kl", "fresh $z$", "v"),
    ("samples", "decoder", "$z_1, z_2$", "h"),
    ("label_branch", "decoder", "$z_y$", "h"),
    ("decoder", "bce_feature", "$g_1, g_2$", "h"),
    ("decoder", "contrastive", "$g_y, g_1$", "h"),
    ("decoder", "bce_label", "$g_y$", "h"),
)

_PLAIN = {"facecolor": "#f2f2f2", "edgecolor": "0.45", "linewidth": 1.0}
_LOSS = {"facecolor": "#e8eef7", "edgecolor": "0.45", "linewidth": 1.0}
_HIGHLIGHT = {"facecolor": "#fdd9a8", "edgecolor": "#d95f02", "linewidth": 2.8}


def resolve_highlight(highlight: str | Iterable[str] | None) -> set[str]:
    """Component names for ``highlight``: None, a group of :data:`GROUPS`, a component of
    :data:`COMPONENTS`, or an iterable of either.

    Args:
        highlight: what to mark: ``None`` (nothing), a group or component name, or an
            iterable of such names.

    Returns:
        The set of component names (keys of :data:`COMPONENTS`); empty for ``None``.

    Raises:
        ValueError: a name that is neither a group nor a component.
    """
    if highlight is None:
        return set()
    names = [highlight] if isinstance(highlight, str) else list(highlight)
    out: set[str] = set()
    for name in names:
        if name in GROUPS:
            out.update(GROUPS[name])
        elif name in COMPONENTS:
            out.add(name)
        else:
            known = sorted(GROUPS) + sorted(COMPONENTS)
            raise ValueError(f"unknown component or group {name!r}; known: {known}")
    return out


def _edge(name: str, towards: tuple[float, float], how: str) -> tuple[float, float]:
    """The point where an arrow leaves or enters the box ``name``."""
    cx, cy, w, h, _ = COMPONENTS[name]
    if how == "h":
        return (cx + w / 2 if towards[0] > cx else cx - w / 2, cy)
    return (cx, cy + h / 2 if towards[1] > cy else cy - h / 2)


def _draw_boxes(ax: plt.Axes, chosen: set[str]) -> dict[str, FancyBboxPatch]:
    """One rounded box per component of :data:`COMPONENTS`; returns them by name."""
    patches = {}
    for name, (cx, cy, w, h, text) in COMPONENTS.items():
        style = _HIGHLIGHT if name in chosen else (_LOSS if name in LOSSES else _PLAIN)
        box = FancyBboxPatch((cx - w / 2, cy - h / 2), w, h, zorder=2,
                             boxstyle="round,pad=0.04,rounding_size=0.12", **style)
        box.set_gid(name)
        ax.add_patch(box)
        patches[name] = box
        ax.text(cx, cy, text, ha="center", va="center", fontsize=9, zorder=3)
    return patches


def _draw_arrows(ax: plt.Axes, arrow: dict[str, Any]) -> None:
    """The data-flow arrows of :data:`ARROWS`, each with its label."""
    for a, b, text, how in ARROWS:
        ca, cb = COMPONENTS[a][:2], COMPONENTS[b][:2]
        start = _edge(a, cb, how)
        end = _edge(b, ca, how)
        if b == "decoder" or a == "decoder":  # the tall decoder box: keep arrows level
            if b == "decoder":
                end = (end[0], start[1])
            else:
                start = (start[0], end[1])
        ax.annotate("", xy=end, xytext=start, arrowprops=arrow, zorder=1)
        if text:
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            dx, dy = (0, 0.22) if how == "h" else (0.45, 0)
            ax.text(mx + dx, my + dy, text, ha="center", va="center", fontsize=8.5,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5}, zorder=3)


def _draw_shared_paths(ax: plt.Axes, arrow: dict[str, Any]) -> None:
    """The two paths that cross the figure: x into the decoder, and the shared E."""
    # x also enters the decoder: a path over the top of the feature branch
    x_top = COMPONENTS["x"][1] + COMPONENTS["x"][3] / 2
    dec_left = COMPONENTS["decoder"][0] - COMPONENTS["decoder"][2] / 2
    ax.plot([1.0, 1.0, dec_left - 0.35], [x_top, 6.85, 6.85], color="0.25", lw=1.1, zorder=1)
    ax.annotate("", xy=(dec_left, 6.3), xytext=(dec_left - 0.35, 6.85), arrowprops=arrow)
    ax.text(5.0, 7.0, "$x$ goes to the decoder too: it reads $[x; z]$", ha="center",
            fontsize=8.5, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    # the same E scores every label and anchors the contrastive loss (dashed: shared weights)
    emb_bottom = COMPONENTS["label_embeddings"][1] - COMPONENTS["label_embeddings"][3] / 2
    ax.plot([3.6, 3.6, 15.85], [emb_bottom, -0.45, -0.45], ls="--", color="#1b7837",
            lw=1.3, zorder=1)
    for loss in ("bce_label", "contrastive", "bce_feature"):
        cx, cy, w, h, _ = COMPONENTS[loss]
        ax.plot([15.85, 15.85], [-0.45, cy], ls="--", color="#1b7837", lw=1.3, zorder=1)
        ax.annotate("", xy=(cx + w / 2, cy), xytext=(15.85, cy),
                    arrowprops={**arrow, "color": "#1b7837", "ls": "--"})
    ax.text(9.1, -0.3, "the same label embeddings $E$ score every label and anchor the "
            "contrastive loss", ha="center", fontsize=8.5, color="#1b7837",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})


def architecture_figure(
    highlight: str | Iterable[str] | None = None, ax: plt.Axes | None = None
) -> plt.Figure:
    """Draw C-GMVAE in training, as the authors' code builds it.

    Args:
        highlight: the components to mark in orange: a group (``"vae"``, ``"prior"``,
            ``"contrastive"``, ``"objective"``), a component name of :data:`COMPONENTS`, or a
            list of them (see :func:`resolve_highlight`); ``None`` marks nothing.
        ax: the Matplotlib axes to draw on; ``None`` makes a new 12.5 x 5.6 inch figure.

    Returns:
        The figure (``ax``'s, if given); ``fig.architecture_patches`` maps each component to
        its box and ``fig.highlighted`` is the set of highlighted components.

    Raises:
        ValueError: an unknown name in ``highlight``.
    """
    chosen = resolve_highlight(highlight)
    if ax is None:
        fig, ax = plt.subplots(figsize=(12.5, 5.6))
    else:
        fig = ax.figure
    ax.set_axis_off()
    ax.set(xlim=(-0.1, 16.0), ylim=(-0.75, 7.2))
    patches = _draw_boxes(ax, chosen)
    arrow = {"arrowstyle": "-|>", "color": "0.25", "lw": 1.1, "shrinkA": 0, "shrinkB": 0}
    _draw_arrows(ax, arrow)
    _draw_shared_paths(ax, arrow)
    fig.architecture_patches = patches
    fig.highlighted = chosen
    return fig


__all__ = [
    "BOOK_STYLE",
    "COMPONENTS",
    "GROUPS",
    "LOSSES",
    "architecture_figure",
    "resolve_highlight",
    "use_book_style",
]
