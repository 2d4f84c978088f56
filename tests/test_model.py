"""The model's pieces against independent computations, and the training loop's promises."""

from __future__ import annotations

import copy
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import distributions as D

from minicgmvae.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from minicgmvae.config import ModelConfig, TrainConfig, paper_settings
from minicgmvae.decoder import Decoder, unit_normalize
from minicgmvae.errors import CheckpointError, DataValueError, DeviceError
from minicgmvae.gaussian import log_normal, log_standard_normal, reparameterize
from minicgmvae.kl import kl_gaussians, kl_monte_carlo
from minicgmvae.label_embeddings import LabelEmbeddings
from minicgmvae.losses import bce_from_logits, contrastive_loss
from minicgmvae.metrics import PAPER_THRESHOLDS as THRESHOLDS
from minicgmvae.metrics import torch_f1_sweep as f1_sweep
from minicgmvae.model import CGMVAE
from minicgmvae.prior import label_set_gaussian, mixture_log_density, prior_log_density
from minicgmvae.training import fit

B, L, DIM, E, F = 16, 5, 8, 32, 12


def small_config(**kw) -> ModelConfig:
    base = dict(
        n_features=F,
        n_labels=L,
        latent_dim=DIM,
        embed_dim=E,
        feature_hidden=(32, 32),
        label_hidden=(32,),
        decoder_hidden=32,
    )
    base.update(kw)
    return ModelConfig(**base)


def labels(b: int = B, n_labels: int = L, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    y = (torch.rand(b, n_labels, generator=g) < 0.4).float()
    y[0] = 0.0  # a sample with no positive label
    y[1] = 0.0
    y[1, 2] = 1.0  # a sample with exactly one
    return y


def toy_data(n: int = 240, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, F)).astype(np.float32)
    w = rng.standard_normal((F, L))
    y = (x @ w > 0.3).astype(np.float32)
    a, b = int(n * 0.7), int(n * 0.85)
    return SimpleNamespace(
        name="toy",
        x_train=x[:a],
        y_train=y[:a],
        x_val=x[a:b],
        y_val=y[a:b],
        x_test=x[b:],
        y_test=y[b:],
    )


# --- shapes and gradients -------------------------------------------------------------


def test_forward_shapes_train_and_eval():
    torch.manual_seed(0)
    model = CGMVAE(small_config())
    x, y = torch.randn(B, F), labels()
    out = model(x, y)
    assert out.feature_mu.shape == out.feature_logvar.shape == (B, DIM)
    assert out.label_mu.shape == out.label_logvar.shape == (L, DIM)
    assert out.feature_g.shape == (2, B, E) and out.label_g.shape == (B, E)
    assert out.feature_logits.shape == (2, B, L) and out.label_logits.shape == (B, L)
    torch.testing.assert_close(out.feature_g.norm(dim=-1), torch.ones(2, B))  # on the unit sphere
    model.eval()
    out = model(x, y)
    assert out.feature_logits.shape == (1, B, L)
    probs = model.predict_proba(x)
    assert probs.shape == (B, L) and bool(((probs >= 0) & (probs <= 1)).all())
    # prediction uses z = mu_x: the logits of predict_logits equal the eval feature branch
    torch.testing.assert_close(model.predict_logits(x), out.feature_logits[0])


@pytest.mark.parametrize("prior", ["mixture", "label_gaussian", "standard_normal"])
def test_every_parameter_gets_a_gradient(prior):
    torch.manual_seed(0)
    model = CGMVAE(small_config(prior=prior))
    x, y = torch.randn(B, F), labels()
    model.loss(model(x, y), y).total.backward()
    # with a standard-normal prior the label variances feed nothing (only the means do)
    unused = {"label_encoder.head.logvar.weight", "label_encoder.head.logvar.bias"}
    for name, p in model.named_parameters():
        if prior == "standard_normal" and name in unused:
            assert p.grad is None, name
            continue
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_empty_label_rows_stay_finite():
    """The authors' code gives NaN/inf for a sample with no positive label (REFERENCE)."""
    torch.manual_seed(0)
    model = CGMVAE(small_config())
    x = torch.randn(4, F)
    y = torch.zeros(4, L)  # no sample has a label
    terms = model.loss(model(x, y), y)
    for name, value in terms.detached().items():
        assert torch.isfinite(value), name
    terms.total.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


# --- the Gaussian pieces against torch.distributions ------------------------------------


def test_log_normal_matches_torch_distributions():
    torch.manual_seed(0)
    mu, logvar, z = torch.randn(7, DIM), torch.randn(7, DIM), torch.randn(7, DIM)
    expected = D.Independent(D.Normal(mu, torch.exp(0.5 * logvar)), 1).log_prob(z)
    torch.testing.assert_close(log_normal(z, mu, logvar), expected)


def test_mixture_log_density_matches_mixture_same_family():
    torch.manual_seed(0)
    mu, logvar = torch.randn(L, DIM), torch.randn(L, DIM) * 0.5
    z, y = torch.randn(B, DIM), labels()
    got = mixture_log_density(z, y, mu, logvar)
    for b in range(B):
        pos = y[b] > 0
        if pos.sum() == 0:
            expected = D.Independent(D.Normal(torch.zeros(DIM), torch.ones(DIM)), 1).log_prob(z[b])
        else:
            mix = D.MixtureSameFamily(
                D.Categorical(probs=torch.full((int(pos.sum()),), 1.0 / float(pos.sum()))),
                D.Independent(D.Normal(mu[pos], torch.exp(0.5 * logvar[pos])), 1),
            )
            expected = mix.log_prob(z[b])
        torch.testing.assert_close(got[b], expected, rtol=1e-5, atol=1e-5)


def test_mixture_with_one_label_is_that_gaussian():
    mu, logvar = torch.randn(L, DIM), torch.randn(L, DIM)
    z, y = torch.randn(3, DIM), torch.zeros(3, L)
    y[:, 3] = 1.0
    torch.testing.assert_close(
        mixture_log_density(z, y, mu, logvar), log_normal(z, mu[3], logvar[3])
    )
    # ... and so is the label-set Gaussian
    torch.testing.assert_close(
        prior_log_density(z, y, mu, logvar, "label_gaussian"), log_normal(z, mu[3], logvar[3])
    )


def test_label_set_gaussian_is_mean_of_means_and_variances():
    mu, logvar = torch.randn(L, DIM), torch.randn(L, DIM)
    y = torch.tensor([[1.0, 0, 1, 0, 0], [0, 0, 0, 0, 0]])
    m, lv = label_set_gaussian(y, mu, logvar)
    torch.testing.assert_close(m[0], (mu[0] + mu[2]) / 2)
    torch.testing.assert_close(lv[0], torch.log((logvar[0].exp() + logvar[2].exp()) / 2))
    torch.testing.assert_close(m[1], torch.zeros(DIM))  # no label: N(0, I)
    torch.testing.assert_close(lv[1], torch.zeros(DIM))


def test_closed_form_kl_matches_torch_distributions():
    torch.manual_seed(0)
    m1, l1, m2, l2 = (torch.randn(6, DIM) for _ in range(4))
    p = D.Independent(D.Normal(m1, torch.exp(0.5 * l1)), 1)
    q = D.Independent(D.Normal(m2, torch.exp(0.5 * l2)), 1)
    torch.testing.assert_close(kl_gaussians(m1, l1, m2, l2), D.kl_divergence(p, q))


def test_monte_carlo_kl_agrees_with_closed_form_for_a_single_gaussian():
    """Averaged over many samples, the one-sample estimate converges to the closed form."""
    torch.manual_seed(0)
    q_mu, q_logvar = torch.randn(1, DIM) * 0.5, torch.randn(1, DIM) * 0.3
    label_mu, label_logvar = torch.randn(L, DIM) * 0.5, torch.randn(L, DIM) * 0.3
    y = torch.zeros(1, L)
    y[0, 1] = 1.0
    n = 200_000
    estimates = kl_monte_carlo(
        q_mu.expand(n, -1),
        q_logvar.expand(n, -1),
        y.expand(n, -1),
        label_mu,
        label_logvar,
        "mixture",
    )
    exact = kl_gaussians(q_mu, q_logvar, label_mu[1:2], label_logvar[1:2])
    stderr = estimates.std() / math.sqrt(n)
    assert abs(estimates.mean() - exact[0]) < 4 * stderr + 1e-4
    # with a standard-normal prior
    est = kl_monte_carlo(
        q_mu.expand(n, -1),
        q_logvar.expand(n, -1),
        y.expand(n, -1),
        label_mu,
        label_logvar,
        "standard_normal",
    )
    exact = kl_gaussians(q_mu, q_logvar, torch.zeros(1, DIM), torch.zeros(1, DIM))
    assert abs(est.mean() - exact[0]) < 4 * est.std() / math.sqrt(n) + 1e-4


def test_reparameterize_has_the_right_moments_and_gradient():
    torch.manual_seed(0)
    mu = torch.tensor([1.0, -2.0], requires_grad=True)
    logvar = torch.tensor([0.0, math.log(4.0)], requires_grad=True)
    z = reparameterize(mu.expand(100_000, 2), logvar.expand(100_000, 2))
    torch.testing.assert_close(z.mean(0), mu.detach(), atol=0.03, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([1.0, 2.0]), atol=0.03, rtol=0)
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None


# --- the supervised losses ------------------------------------------------------------


def test_contrastive_loss_matches_a_hand_computation():
    torch.manual_seed(0)
    anchors = torch.nn.functional.normalize(torch.randn(6, E), dim=1)
    emb = torch.randn(L, E)
    y = labels(6, L)
    tau = 0.7
    total, count = 0.0, 0
    for a in range(6):
        pos = [j for j in range(L) if y[a, j] == 1]
        if not pos:
            continue  # an anchor with no positive label is left out of the mean
        scores = [float(anchors[a] @ emb[j]) / tau for j in range(L)]
        log_z = math.log(sum(math.exp(s) for s in scores))
        total += -sum(scores[p] - log_z for p in pos) / len(pos)
        count += 1
    got = contrastive_loss(anchors, y, emb, tau)
    assert got.item() == pytest.approx(total / count, rel=1e-5)


def test_bce_from_logits_is_the_summed_mean_and_stable():
    logits = torch.tensor([[[80.0, -80.0, 0.0]], [[1.0, 2.0, -3.0]]])  # (K=2, B=1, L=3)
    y = torch.tensor([[0.0, 1.0, 1.0]])
    got = bce_from_logits(logits, y)
    assert torch.isfinite(got)
    manual = 0.0
    for k in range(2):
        for i in range(3):
            s = float(logits[k, 0, i])
            # -log sigmoid(s) = softplus(-s), -log(1 - sigmoid(s)) = softplus(s)
            manual += (
                math.log1p(math.exp(-abs(s))) + max(-s, 0)
                if y[0, i] == 1
                else math.log1p(math.exp(-abs(s))) + max(s, 0)
            )
    assert got.item() == pytest.approx(manual, rel=1e-5)


def test_dropout_probability_is_the_drop_probability():
    cfg = small_config(dropout=0.2)
    model = CGMVAE(cfg)
    drops = [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    assert drops and all(p == 0.2 for p in drops)
    torch.manual_seed(0)
    zeroed = (model.label_encoder.dropout(torch.ones(100_000)) == 0).float().mean()
    assert abs(float(zeroed) - 0.2) < 0.01


def test_decoder_split_equals_concatenation():
    torch.manual_seed(0)
    dec = Decoder(F, DIM, E, 32)
    x, z = torch.randn(B, F), torch.randn(3, B, DIM)
    h = torch.relu(dec.hidden(torch.cat([x.expand(3, B, F), z], -1)))
    expected = torch.nn.functional.normalize(torch.nn.functional.leaky_relu(dec.out(h)), dim=-1)
    torch.testing.assert_close(dec(x, z), expected)
    assert Decoder(F, DIM, E, 32, sees_x=False).hidden.in_features == DIM


def test_unit_normalize_gradient_matches_autograd_of_f_normalize():
    torch.manual_seed(0)
    v = torch.randn(2, 5, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(unit_normalize, (v,))
    w = torch.randn(2, 5, 7, dtype=torch.float64)
    (mine,) = torch.autograd.grad((unit_normalize(v) * w).sum(), v)
    (ref,) = torch.autograd.grad((torch.nn.functional.normalize(v, dim=-1) * w).sum(), v)
    torch.testing.assert_close(mine, ref)
    torch.testing.assert_close(unit_normalize(v), torch.nn.functional.normalize(v, dim=-1))
    # a zero row stays finite, as with F.normalize
    zero = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(unit_normalize(zero).sum(), zero)
    assert torch.isfinite(g).all() and (unit_normalize(zero) == 0).all()


def test_label_embeddings_hold_the_authors_linear_layer_values():
    torch.manual_seed(3)
    emb = LabelEmbeddings(4, 16)
    torch.manual_seed(3)
    authors = torch.nn.Linear(4, 16)  # the same draws, in the authors' layout
    torch.testing.assert_close(emb.weight, authors.weight.t(), rtol=0, atol=0)
    torch.testing.assert_close(emb.encoder_inputs(), authors(torch.eye(4)))
    g = torch.randn(3, 16)
    torch.testing.assert_close(emb.logits(g), g @ authors.weight)
    assert emb.weight.is_contiguous() and emb.weight.shape == (4, 16)


def test_contrastive_off_and_closed_form_switches():
    torch.manual_seed(0)
    x, y = torch.randn(B, F), labels()
    m = CGMVAE(
        small_config(contrastive_weight=0.0, prior="standard_normal", kl_estimator="closed_form")
    )
    terms = m.loss(m(x, y), y)
    assert terms.contrastive.item() == 0.0
    expected = m.config.bce_weight * terms.bce + m.config.kl_weight * terms.kl
    torch.testing.assert_close(terms.total, expected)
    with pytest.raises(ValueError, match="closed-form"):
        small_config(prior="mixture", kl_estimator="closed_form")
    with pytest.raises(ValueError, match="prior"):
        small_config(prior="gmm")


def test_paper_settings():
    s = paper_settings("yeast", 103, 14)
    assert (s.train.lr, s.train.epochs, s.model.embed_dim, s.model.bce_weight) == (
        6e-4,
        800,
        2048,
        0.5,
    )
    assert paper_settings("scene", 294, 6, epochs=3).train.epochs == 3
    with pytest.raises(ValueError, match="Unknown setting"):
        paper_settings("scene", 294, 6, epoch=3)


# --- validation metric on the device ----------------------------------------------------


def test_f1_sweep_matches_a_loop():
    rng = np.random.default_rng(0)
    y = (rng.random((50, L)) < 0.3).astype(np.float32)
    y[:, 4] = 0  # a label absent from the truth
    p = rng.random((50, L)).astype(np.float32)
    th = torch.tensor(THRESHOLDS, dtype=torch.float64)
    got = {
        k: f1_sweep(torch.tensor(y), torch.tensor(p), th, k).numpy()
        for k in ("macro_f1", "micro_f1", "example_f1")
    }
    for ti, t in enumerate(THRESHOLDS):
        pred = p >= t
        tp, fp, fn = (pred & (y > 0)).sum(0), (pred & (y == 0)).sum(0), (~pred & (y > 0)).sum(0)
        den = 2 * tp + fp + fn
        macro = np.mean(np.where(den > 0, 2 * tp / np.maximum(den, 1), 0.0))
        micro = 2 * tp.sum() / (2 * tp.sum() + fp.sum() + fn.sum())
        ex = [
            2 * (pr & tr).sum() / (pr.sum() + tr.sum())
            for pr, tr in zip(pred, y > 0)
            if pr.sum() + tr.sum() > 0
        ]
        assert got["macro_f1"][ti] == pytest.approx(macro, abs=1e-6)
        assert got["micro_f1"][ti] == pytest.approx(micro, abs=1e-6)
        assert got["example_f1"][ti] == pytest.approx(np.mean(ex), abs=1e-6)


# --- training -----------------------------------------------------------------------------


def test_overfits_a_tiny_dataset():
    data = toy_data(64)
    data.x_val, data.y_val = data.x_train, data.y_train
    cfg = small_config(dropout=0.0)
    res = fit(data, cfg, TrainConfig(epochs=150, lr=3e-3, batch_size=32, seed=0), progress=False)
    probs = res.model.predict_proba(torch.tensor(data.x_train)).numpy()
    accuracy = ((probs > 0.5) == (data.y_train > 0.5)).mean()
    assert accuracy > 0.97
    assert res.history["loss"][-1] < 0.5 * res.history["loss"][0]


def test_training_is_bitwise_repeatable_on_cpu():
    data = toy_data()
    runs = [
        fit(data, small_config(), TrainConfig(epochs=3, seed=5), device="cpu", progress=False)
        for _ in range(2)
    ]
    for (k, a), b in zip(runs[0].model.state_dict().items(), runs[1].model.state_dict().values()):
        assert torch.equal(a, b), k
    assert runs[0].history["loss"] == runs[1].history["loss"]
    other = fit(data, small_config(), TrainConfig(epochs=3, seed=6), progress=False)
    assert other.history["loss"] != runs[0].history["loss"]


def test_checkpoint_round_trip_and_resume(tmp_path):
    data = toy_data()
    cfg, tc = small_config(), TrainConfig(epochs=4, seed=2, t0=2)
    full = fit(data, cfg, tc, progress=False, checkpoint_path=tmp_path / "full.pt")
    # round trip: the saved best weights give the same predictions
    model = model_from_checkpoint(load_checkpoint(tmp_path / "full.pt"))
    x = torch.tensor(data.x_test)
    torch.testing.assert_close(model.predict_proba(x), full.model.predict_proba(x), rtol=0, atol=0)
    # resume: stop after 2 epochs (checkpoint_every), then continue to 4
    part = tmp_path / "part.pt"
    ckpt = fit(
        data,
        cfg,
        TrainConfig(epochs=4, seed=2, t0=2),
        progress=False,
        checkpoint_path=part,
        checkpoint_every=2,
    )
    payload = load_checkpoint(part)
    assert payload["epoch"] == 4
    # rebuild a mid-run checkpoint by training 2 of 4 epochs with the same config
    fit_2 = _train_two_of_four(data, cfg, tmp_path / "mid.pt")
    assert fit_2["epoch"] == 2
    resumed = fit(data, cfg, tc, progress=False, checkpoint_path=tmp_path / "mid.pt", resume=True)
    assert resumed.history["loss"] == full.history["loss"]
    for a, b in zip(resumed.model.state_dict().values(), full.model.state_dict().values()):
        assert torch.equal(a, b)
    assert ckpt.history["loss"] == full.history["loss"]


def _train_two_of_four(data, cfg, path):
    """Run the 4-epoch config but interrupt it after epoch 2 (as a crash would)."""
    import minicgmvae.training as training

    class Stop(Exception):
        pass

    real_save = training.save_checkpoint

    def save_then_stop(p, payload):
        real_save(p, payload)
        raise Stop

    training.save_checkpoint = save_then_stop
    try:
        with pytest.raises(Stop):
            fit(
                data,
                cfg,
                TrainConfig(epochs=4, seed=2, t0=2),
                progress=False,
                checkpoint_path=path,
                checkpoint_every=2,
            )
    finally:
        training.save_checkpoint = real_save
    return load_checkpoint(path)


def test_checkpoint_errors(tmp_path):
    data = toy_data()
    fit(
        data,
        small_config(),
        TrainConfig(epochs=1),
        progress=False,
        checkpoint_path=tmp_path / "a.pt",
    )
    ckpt = load_checkpoint(tmp_path / "a.pt")
    # another architecture: a clear error naming the shapes
    ckpt["model_config"] = {**ckpt["model_config"], "embed_dim": E * 2}
    with pytest.raises(CheckpointError, match="shape mismatch"):
        model_from_checkpoint(ckpt)
    # a truncated file
    raw = (tmp_path / "a.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(tmp_path / "cut.pt")
    # a bare state_dict is not a checkpoint
    torch.save(CGMVAE(small_config()).state_dict(), tmp_path / "bare.pt")
    with pytest.raises(CheckpointError, match="not a minicgmvae checkpoint"):
        load_checkpoint(tmp_path / "bare.pt")
    # a pickle of an arbitrary object is refused, not executed
    torch.save(
        {"format": "minicgmvae-checkpoint", "obj": SimpleNamespace(a=1)}, tmp_path / "evil.pt"
    )
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "evil.pt")
    # another version
    save_checkpoint(tmp_path / "v0.pt", {"model_config": {}, "state_dict": {}, "version": 0})
    with pytest.raises(CheckpointError, match="version 0"):
        load_checkpoint(tmp_path / "v0.pt")
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporary files


def test_resume_with_other_settings_is_refused(tmp_path):
    data = toy_data()
    fit(
        data,
        small_config(),
        TrainConfig(epochs=1),
        progress=False,
        checkpoint_path=tmp_path / "a.pt",
    )
    with pytest.raises(CheckpointError, match="other settings"):
        fit(
            data,
            small_config(),
            TrainConfig(epochs=2),
            progress=False,
            checkpoint_path=tmp_path / "a.pt",
            resume=True,
        )


def test_label_count_mismatch_and_missing_gpu():
    data = toy_data()
    with pytest.raises(DataValueError, match="labels"):
        fit(data, small_config(n_labels=L + 1), TrainConfig(epochs=1), progress=False)
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="no CUDA GPU"):
            fit(data, small_config(), TrainConfig(epochs=1), device="cuda", progress=False)


_FAULTS_SCRIPT = """
import platform, resource, torch
from minicgmvae.device import keep_freed_memory

def faults():  # buffers allocated, written and freed, round after round, as in training
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        # 64 MiB each: above the largest size (32 MiB) up to which glibc, left to itself,
        # learns to keep freed blocks, so that by default every round maps fresh pages
        buffers = [torch.ones(16 << 20) for _ in range(2)]
        del buffers
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0

faults()
before = faults()
applied = keep_freed_memory()
faults()
print(platform.system(), platform.libc_ver()[0], before, applied, faults())
"""


def test_component_log_densities_expanded_for_many_labels_agree_with_float64():
    from minicgmvae.prior import EXPAND_ABOVE_LABELS, component_log_densities

    torch.manual_seed(0)
    b, d = 32, 16
    for n_labels in (EXPAND_ABOVE_LABELS, EXPAND_ABOVE_LABELS + 1, 300):
        z = torch.randn(b, d, requires_grad=True)
        mu = (0.7 * torch.randn(n_labels, d)).requires_grad_()
        logvar = (0.5 * torch.randn(n_labels, d)).requires_grad_()
        out = component_log_densities(z, mu, logvar)
        # the direct form, as the equation reads, in float64
        z64, mu64, lv64 = (t.detach().double().requires_grad_() for t in (z, mu, logvar))
        ref = log_normal(z64.unsqueeze(1), mu64.unsqueeze(0), lv64.unsqueeze(0))
        if n_labels <= EXPAND_ABOVE_LABELS:  # few labels: exactly the direct float32 form
            direct = log_normal(z.unsqueeze(1), mu.unsqueeze(0), logvar.unsqueeze(0))
            assert torch.equal(out, direct)
        torch.testing.assert_close(out.double(), ref, rtol=0, atol=1e-4)
        w = torch.randn(b, n_labels, dtype=torch.float64)  # a random upstream gradient
        grads = torch.autograd.grad((out.double() * w).sum(), (z, mu, logvar))
        refs = torch.autograd.grad((ref * w).sum(), (z64, mu64, lv64))
        for g, r in zip(grads, refs):
            torch.testing.assert_close(g.double(), r, rtol=1e-4, atol=1e-4)


def test_mixture_log_density_with_many_labels_matches_the_direct_form():
    torch.manual_seed(1)
    b, n_labels, d = 64, 500, 8
    z, mu, logvar = torch.randn(b, d), 0.5 * torch.randn(n_labels, d), torch.randn(n_labels, d)
    y = (torch.rand(b, n_labels) < 0.02).float()
    y[0] = 0.0  # a sample with no label: the standard normal
    ref = log_normal(z.double().unsqueeze(1), mu.double(), logvar.double())
    ref = ref.masked_fill(y < 0.5, float("-inf")).logsumexp(1) - y.sum(1).clamp(min=1).log()
    out = mixture_log_density(z, y, mu, logvar)
    torch.testing.assert_close(out[1:].double(), ref[1:], rtol=0, atol=1e-4)
    torch.testing.assert_close(out[0], log_standard_normal(z[0]))


def test_keep_freed_memory_stops_the_page_faults_of_repeated_buffers():
    import subprocess
    import sys

    # a fresh process: the setting is process-wide, and the "before" must be glibc's default
    out = subprocess.run(
        [sys.executable, "-c", _FAULTS_SCRIPT], capture_output=True, text=True, check=True
    )
    system, libc, before, applied, after = out.stdout.split()
    if system == "Linux" and libc == "glibc":
        assert applied == "True"
        # 5 rounds of 128 MiB: a fault per 4 KiB page by default, next to none once kept
        assert int(before) > 10_000, before
        assert int(after) < int(before) / 20, (before, after)
    else:  # elsewhere it must say that it did nothing
        assert applied == "False"


def test_profile_step_splits_a_step_into_its_groups():
    from minicgmvae.studies.benchmark import profile_step

    a = torch.randn(128, 128)

    def step() -> None:
        (a @ a).relu_()  # a matrix product, then an elementwise operation
        torch.empty(4096).bernoulli_(0.5)  # dropout's random numbers

    step()
    ms = profile_step(step, torch.device("cpu"), n_steps=3)
    assert ms["matrix products"] > 0 and ms["dropout's random numbers"] > 0
    assert ms["Adam update"] == 0 and ms["everything else"] > 0
    parts = sum(v for k, v in ms.items() if k != "total")
    assert math.isclose(parts, ms["total"], rel_tol=1e-9)


def test_latent_usage_counts_active_units_and_kl():
    from minicgmvae.diagnostics import latent_usage, model_latent_usage

    torch.manual_seed(0)
    mu = torch.zeros(500, 4)
    mu[:, 0] = torch.randn(500)  # one dimension that depends on x
    logvar = torch.zeros(500, 4)
    logvar[:, 3] = math.log(0.25)
    usage = latent_usage(mu, logvar)
    assert usage.active_units == 1
    expected = [0.5 * float((mu[:, 0] ** 2).mean()), 0.0, 0.0, 0.5 * (0.25 - 1 - math.log(0.25))]
    torch.testing.assert_close(usage.kl_per_dim, torch.tensor(expected), rtol=1e-5, atol=1e-6)
    model = CGMVAE(small_config())
    assert model_latent_usage(model, torch.randn(50, F)).activity.shape == (DIM,)
    assert model.training  # the mode is restored


def test_epoch_callback_sees_every_epoch_and_changes_nothing():
    data = toy_data()
    seen = []
    with_cb = fit(
        data,
        small_config(),
        TrainConfig(epochs=3, seed=4),
        progress=False,
        on_epoch_end=lambda e, m: seen.append((e, m.predict_proba(torch.tensor(data.x_val)))),
    )
    plain = fit(data, small_config(), TrainConfig(epochs=3, seed=4), progress=False)
    assert [e for e, _ in seen] == [1, 2, 3]
    assert with_cb.history["loss"] == plain.history["loss"]



def test_rescore_runs_adds_a_protocol_and_refuses_what_the_checkpoints_do_not_reproduce(
    tmp_path,
):
    import shutil

    from minicgmvae.studies.experiments import rescore_runs, train_seeds

    data = toy_data()
    record = train_seeds(
        data, [1, 2], small_config(), TrainConfig(epochs=2, t0=2), device="cpu",
        out_dir=tmp_path, progress=False,
    )  # fmt: skip
    older = copy.deepcopy(record)  # as written before the per-metric protocol existed
    for run in older["runs"]:
        del run["protocols"]["honest-per-metric"]
    again = rescore_runs(older, data, tmp_path)
    assert [r["protocols"] for r in again["runs"]] == [r["protocols"] for r in record["runs"]]
    assert again["summary"] == record["summary"]
    assert again["rescored"][-1]["added"] == ["honest-per-metric"]
    assert rescore_runs(record, data, tmp_path)["rescored"][-1]["added"] == []

    # other data of the same sizes: the stored numbers are not reproduced
    with pytest.raises(CheckpointError, match="does not reproduce"):
        rescore_runs(record, toy_data(seed=1), tmp_path)
    # a split of other sizes is refused before any checkpoint is read
    with pytest.raises(DataValueError, match="split"):
        rescore_runs(record, toy_data(n=200), tmp_path)
    # seed 1's checkpoint under seed 2's name
    shutil.copy(tmp_path / "seed-1.pt", tmp_path / "seed-2.pt")
    with pytest.raises(CheckpointError, match="seed 2"):
        rescore_runs(record, data, tmp_path)


def test_merge_seed_records_joins_seeds_of_one_experiment_and_refuses_others():
    from minicgmvae.studies.experiments import merge_seed_records, train_seeds

    data = toy_data()
    cfg, tc = small_config(), TrainConfig(epochs=1, t0=1)
    a = train_seeds(data, [1, 2], cfg, tc, device="cpu", progress=False)
    b = train_seeds(data, [3], cfg, tc, device="cpu", progress=False)
    both = train_seeds(data, [1, 2, 3], cfg, tc, device="cpu", progress=False)
    merged = merge_seed_records([a, b])
    assert [r["seed"] for r in merged["runs"]] == merged["train_config"]["seed"] == [1, 2, 3]
    # the same numbers as one command that trained all three seeds
    assert merged["summary"] == both["summary"]
    assert merged["merged_provenance"] == [b["provenance"]]
    with pytest.raises(ValueError, match="seed appears twice"):
        merge_seed_records([a, a])
    other = train_seeds(data, [4], small_config(kl_weight=1.0), tc, device="cpu", progress=False)
    with pytest.raises(ValueError, match="settings"):
        merge_seed_records([a, other])


# --- the one training loop ----------------------------------------------------------------
def test_fit_leaves_the_callers_random_state_alone():
    data = toy_data()
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    first = fit(data, small_config(), TrainConfig(epochs=2, seed=4), progress=False)
    assert torch.equal(torch.rand(3), expected)  # as if fit had not run
    torch.manual_seed(123)  # another caller state: the run itself does not depend on it
    second = fit(data, small_config(), TrainConfig(epochs=2, seed=4), progress=False)
    assert first.history["loss"] == second.history["loss"]


def test_train_one_epoch_is_fits_epoch():
    from minicgmvae.training import make_adam, train_one_epoch

    data = toy_data()
    tc = TrainConfig(epochs=1, seed=5, batch_size=64)
    result = fit(data, small_config(), tc, progress=False, device="cpu")
    torch.manual_seed(tc.seed)  # what fit does before building the model
    model = CGMVAE(small_config())
    optimizer = make_adam(model, tc, torch.device("cpu"))
    x, y = torch.tensor(data.x_train), torch.tensor(data.y_train)
    sums = train_one_epoch(
        model, optimizer, x, y, batch_size=64, generator=torch.Generator().manual_seed(tc.seed)
    )
    assert sums.shape == (4,)
    means = (sums / len(x)).tolist()
    assert [result.history[k][0] for k in ("loss", "bce", "kl", "contrastive")] == means
