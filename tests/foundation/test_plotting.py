"""minicgmvae.plotting: the book's style and the architecture figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from minicgmvae import plotting  # noqa: E402


def test_use_book_style_sets_the_shared_defaults():
    plotting.use_book_style()
    for key, value in plotting.BOOK_STYLE.items():
        assert matplotlib.rcParams[key] == value


def test_architecture_figure_draws_every_component():
    fig = plotting.architecture_figure()
    try:
        assert set(fig.architecture_patches) == set(plotting.COMPONENTS)
        texts = {t.get_text() for t in fig.axes[0].texts}
        for *_, text in plotting.COMPONENTS.values():
            assert text in texts
        assert fig.highlighted == set()
        # the four losses of the objective are drawn
        assert set(plotting.LOSSES) <= set(fig.architecture_patches)
        assert len(plotting.LOSSES) == 4
    finally:
        plt.close(fig)


@pytest.mark.parametrize("group", sorted(plotting.GROUPS))
def test_architecture_figure_highlights_the_requested_piece(group):
    fig = plotting.architecture_figure(highlight=group)
    try:
        want = set(plotting.GROUPS[group])
        assert fig.highlighted == want
        for name, patch in fig.architecture_patches.items():
            thick = patch.get_linewidth() > 2
            assert thick == (name in want), name
    finally:
        plt.close(fig)


def test_architecture_figure_highlights_one_component_and_rejects_unknown_names():
    fig = plotting.architecture_figure(highlight=["decoder"])
    assert fig.highlighted == {"decoder"}
    plt.close(fig)
    with pytest.raises(ValueError, match="unknown"):
        plotting.resolve_highlight("encoderr")
