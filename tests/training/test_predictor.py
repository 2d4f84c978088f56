"""The saved predictor: one small file that predicts from raw features, loaded safely."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import make_multilabel_classification

import minicgmvae as mc
from minicgmvae.checkpoint import save_checkpoint
from minicgmvae.config import paper_settings
from minicgmvae.estimator import CGMVAEClassifier
from minicgmvae.model import CGMVAE
from minicgmvae.predictor import FORMAT, Predictor, load_predictor

TINY = dict(
    embed_dim=8,
    latent_dim=4,
    feature_hidden=(8,),
    label_hidden=(8,),
    decoder_hidden=8,
    epochs=5,
    device="cpu",
)


@pytest.fixture(scope="module")
def fitted() -> tuple[CGMVAEClassifier, np.ndarray]:
    x, y = make_multilabel_classification(
        n_samples=200, n_features=9, n_classes=4, n_labels=2, random_state=1
    )
    x = x * 7 - 2  # raw features, far from standardised
    return CGMVAEClassifier(**TINY, random_state=0).fit(x, y), x


def test_round_trip_predicts_like_the_model_in_memory(fitted, tmp_path):
    est, x = fitted
    path = est.save(tmp_path / "model.pt")
    loaded = load_predictor(path)
    np.testing.assert_array_equal(loaded.predict_proba(x), est.predict_proba(x))
    np.testing.assert_array_equal(loaded.predict(x), est.predict(x))
    assert loaded.threshold == est.threshold_
    assert loaded.label_names == est.label_names_ and loaded.feature_names == [
        f"f{i}" for i in range(9)
    ]
    assert loaded.model_config == est.predictor_.model_config
    assert loaded.train_config == est.predictor_.train_config
    assert loaded.version == mc.__version__
    np.testing.assert_array_equal(loaded.feature_mean, est.predictor_.feature_mean)
    # what the file holds: no optimiser, schedule or random state, one copy of the weights
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == FORMAT
    assert not {"optimizer", "scheduler", "last_state_dict", "rng_cpu"} & set(payload)
    assert "Predictor(9 standardised features -> 4 labels" in repr(loaded)


def test_the_network_sees_standardised_features(fitted):
    est, x = fitted
    pred = est.predictor_
    xs = (x.astype(np.float32) - pred.feature_mean) / pred.feature_std
    direct = pred.model.predict_proba(torch.from_numpy(xs)).numpy()
    np.testing.assert_array_equal(pred.predict_proba(x), direct)
    assert abs(float(xs.mean())) < 0.2  # raw x is far from zero mean


def test_bad_inputs_to_predict(fitted):
    est, x = fitted
    with pytest.raises(mc.DataValueError, match=r"\(N, 9\)"):
        est.predictor_.predict_proba(x[:, :5])
    bad = x.copy()
    bad[3, 2] = np.nan
    with pytest.raises(mc.DataValueError, match="row 3, column 2 .'f2'."):
        est.predictor_.predict_proba(bad)


def test_foreign_corrupt_and_mismatched_files(fitted, tmp_path):
    est, _ = fitted
    good = est.save(tmp_path / "good.pt")
    # missing
    with pytest.raises(mc.CheckpointError, match="No predictor"):
        load_predictor(tmp_path / "nothing.pt")
    # truncated
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[:500])
    with pytest.raises(mc.CheckpointError, match="corrupt or truncated"):
        load_predictor(cut)
    # a training checkpoint: told what it is and where the predictor comes from
    ckpt = tmp_path / "seed-1.pt"
    save_checkpoint(ckpt, {"model_config": {}, "state_dict": {}})
    with pytest.raises(mc.CheckpointError, match="training checkpoint.*predictor.pt"):
        load_predictor(ckpt)
    # a bare state_dict
    torch.save(est.predictor_.model.state_dict(), tmp_path / "bare.pt")
    with pytest.raises(mc.CheckpointError, match="not a minicgmvae predictor"):
        load_predictor(tmp_path / "bare.pt")
    # a pickle of arbitrary objects: weights_only refuses it, nothing runs
    torch.save({"format": FORMAT, "x": Predictor}, tmp_path / "pickle.pt")
    with pytest.raises(mc.CheckpointError, match="Cannot read predictor"):
        load_predictor(tmp_path / "pickle.pt")
    # weights of another model (another label count) under this model's config
    payload = est.predictor_.to_payload()
    other = CGMVAE(mc.ModelConfig(n_features=9, n_labels=7, **_tiny_model()))
    payload["state_dict"] = other.state_dict()
    torch.save(payload, tmp_path / "other.pt")
    with pytest.raises(mc.CheckpointError, match="does not fit this model"):
        load_predictor(tmp_path / "other.pt")
    # names that do not fit the network
    payload = est.predictor_.to_payload()
    payload["label_names"] = ["a", "b"]
    torch.save(payload, tmp_path / "names.pt")
    with pytest.raises(mc.CheckpointError, match="2 label names"):
        load_predictor(tmp_path / "names.pt")
    # a newer format
    payload = est.predictor_.to_payload()
    payload["version"] = 99
    torch.save(payload, tmp_path / "v99.pt")
    with pytest.raises(mc.CheckpointError, match="version 99"):
        load_predictor(tmp_path / "v99.pt")


def _tiny_model() -> dict[str, object]:
    return {k: v for k, v in TINY.items() if k not in ("epochs", "device")}


def test_size_at_the_papers_settings(data_env, tmp_path, capsys):
    # emotions at the reproduction's settings (embedding 2048), one epoch: the training
    # checkpoint holds ~4 copies of the weights (best, last, Adam's two moments); the
    # predictor one.
    data = mc.load_dataset("emotions", progress=False)
    s = paper_settings("emotions", data.n_features, data.n_labels, epochs=1)
    ckpt = tmp_path / "seed-1.pt"
    result = mc.fit(data, s.model, s.train, device="cpu", progress=False, checkpoint_path=ckpt)
    pred = Predictor.from_split_data(result.model, data, 0.5, s.train)
    path = pred.save(tmp_path / "predictor.pt")
    n_params = sum(p.numel() for p in result.model.parameters())
    mib = {p.name: p.stat().st_size / 2**20 for p in (ckpt, path)}
    with capsys.disabled():
        print(
            f"\nemotions, paper settings: {n_params:,} parameters; training checkpoint "
            f"{mib['seed-1.pt']:.1f} MiB, predictor {mib['predictor.pt']:.1f} MiB"
        )
    assert path.stat().st_size < 1.1 * 4 * n_params + 200_000
    assert path.stat().st_size < ckpt.stat().st_size / 3
    loaded = load_predictor(path)
    raw = data.x_test * data.feature_std + data.feature_mean
    np.testing.assert_allclose(
        loaded.predict_proba(raw), mc.predict_proba(result.model, data.x_test), atol=1e-5
    )
    assert loaded.info["dataset"] == "emotions"


# ------------------------------------------------------------------ DataFrames, by name
@pytest.fixture(scope="module")
def named(fitted) -> tuple[Predictor, object]:
    pd = pytest.importorskip("pandas")
    est, x = fitted
    pred = est.predictor_
    pred = Predictor(pred.model, pred.feature_mean, pred.feature_std,
                     [f"gene{i}" for i in range(9)], pred.label_names, pred.threshold)
    return pred, pd.DataFrame(x, columns=pred.feature_names)


def test_dataframe_columns_in_another_order_are_matched_by_name(named):
    """Silent wrong answers: a DataFrame whose columns are in another order gives the same
    probabilities as the training order (it used to go by position)."""
    pred, frame = named
    shuffled = frame[frame.columns[::-1]]
    np.testing.assert_array_equal(pred.predict_proba(shuffled), pred.predict_proba(frame))
    np.testing.assert_array_equal(pred.predict_proba(frame), pred.predict_proba(frame.to_numpy()))


def test_dataframe_with_renamed_or_missing_columns_is_refused_with_the_names(named):
    """Silent wrong answers: a renamed column is refused, naming the missing and the unknown
    column in one line."""
    pred, frame = named
    renamed = frame.rename(columns={"gene3": "Gene3"})
    with pytest.raises(mc.DataValueError, match=r"lacks 1: \['gene3'\].*does not know: "
                       r"\['Gene3'\].*df.to_numpy\(\)") as info:
        pred.predict_proba(renamed)
    assert "\n" not in str(info.value)
    with pytest.raises(mc.DataValueError, match=r"lacks 1: \['gene8'\]"):
        pred.predict(frame.drop(columns="gene8"))
    with pytest.raises(mc.DataValueError, match=r"does not know: \['extra'\]"):
        pred.predict(frame.assign(extra=1.0))


def test_dataframe_without_string_names_and_arrays_keep_the_training_order(named):
    pred, frame = named
    positional = frame.set_axis(range(9), axis=1)  # pd.DataFrame(array): integer names
    np.testing.assert_array_equal(pred.predict_proba(positional), pred.predict_proba(frame))


def test_dataframe_bool_and_text_columns(named):
    """A bool feature column counts as 0/1; a text column is refused by name."""
    pred, frame = named
    flags = frame.assign(gene0=frame["gene0"] > 0)
    expected = frame.assign(gene0=(frame["gene0"] > 0).astype(float))
    np.testing.assert_array_equal(pred.predict_proba(flags), pred.predict_proba(expected))
    with pytest.raises(mc.DataValueError, match="column 'gene2' holds (str|object) values"):
        pred.predict(frame.assign(gene2="high"))


def test_unsafe_pickle_error_gives_no_advice_to_load_it_unsafely(fitted, tmp_path):
    """Predictor-file errors never repeat torch's advice to retry with weights_only=False."""
    torch.save({"format": FORMAT, "x": Predictor}, tmp_path / "pickle.pt")
    with pytest.raises(mc.CheckpointError, match="does not load .unpickling them could run "
                       "code") as info:
        load_predictor(tmp_path / "pickle.pt")
    assert "weights_only" not in str(info.value) and "\n" not in str(info.value)
