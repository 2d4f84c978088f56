"""The datasets minicgmvae knows: their files, checksums, public origins, shapes and citations.

Every file is a byte-for-byte copy of a blob in a public GitHub repository at a fixed commit
(see ``data/MANIFEST.md`` of the project's shared data). The sha256 and size below were taken
from that manifest; :mod:`minicgmvae.data.download` refuses any file that does not match them.

Nothing here touches the disk or the network: this module is plain, frozen data.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..errors import DatasetNotFoundError

__all__ = [
    "RAW_BASE_URL",
    "RemoteFile",
    "DatasetSpec",
    "DATASETS",
    "get_spec",
    "dataset_names",
]

#: Where the public origin of every file lives. ``RemoteFile.url`` reads this at call time,
#: so a test can point it somewhere else (e.g. a closed loopback port) with ``monkeypatch``.
RAW_BASE_URL = "https://raw.githubusercontent.com"

# The two repository snapshots the files come from.
_MULAN = ("tsoumakas/mulan", "43f6389095ad71984264db4387a8074b22bc7d4a")
_DCSN = ("nicoladimauro/dcsn", "dd0f7a43f5fededeeaf37905f48f918a25b8c2c7")
_CHEMPROP = ("chemprop/chemprop", "b83635bcddaddcdb91d453128edec9f2be0d25cf")


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset, pinned to a blob of a public repository.

    Attributes:
        filename: the name in the cache and in a mirror (``<mirror>/<dataset>/<filename>``).
        role: ``"train"``, ``"test"``, ``"full"`` (train and test together), ``"labels"``
            (the MULAN ``.xml`` naming the labels) or ``"raw"`` (a file we cannot parse yet).
        sha256: the hex sha256 of the exact bytes.
        size: the size in bytes.
        repo: ``owner/name`` of the GitHub repository holding the file.
        commit: the commit of that repository the file was taken from.
        path: the path of the file inside the repository.
    """

    filename: str
    role: str
    sha256: str
    size: int
    repo: str
    commit: str
    path: str

    @property
    def url(self) -> str:
        """The public origin, ``<RAW_BASE_URL>/<owner>/<name>/<commit>/<path>``."""
        return f"{RAW_BASE_URL.rstrip('/')}/{self.repo}/{self.commit}/{self.path}"

    @property
    def source(self) -> str:
        """A short provenance string, ``owner/name@commit:path``."""
        return f"{self.repo}@{self.commit}:{self.path}"


@dataclass(frozen=True)
class DatasetSpec:
    """What minicgmvae knows about one dataset before reading any file.

    Attributes:
        name: the name passed to :func:`minicgmvae.data.datasets.load_dataset`.
        description: one line for humans.
        files: every file of the dataset (splits, union file, label XML).
        n_train, n_test: the samples of the MULAN train and test files.
        n_samples: all samples (train + test, or the union file).
        n_features: features per sample (``None`` when the file has no numeric features).
        n_labels: labels per sample.
        cardinality: mean number of positive labels per sample over train + test.
        train_cardinality, test_cardinality: the same per split (``None`` if no split).
        sparse: whether the ARFF files are sparse (``{index value, ...}`` rows).
        citation: the original authors' publication.
        supported: whether :func:`~minicgmvae.data.datasets.load_dataset` can load it.
        unsupported_reason: why not, when ``supported`` is false.
    """

    name: str
    description: str
    files: tuple[RemoteFile, ...]
    n_train: int | None
    n_test: int | None
    n_samples: int
    n_features: int | None
    n_labels: int
    cardinality: float
    train_cardinality: float | None
    test_cardinality: float | None
    sparse: bool
    citation: str
    supported: bool = True
    unsupported_reason: str | None = None

    def file(self, role: str) -> RemoteFile:
        """The (first) file of the given role.

        Args:
            role: a file role, e.g. ``"train"``, ``"test"`` or ``"xml"``.

        Returns:
            The :class:`RemoteFile`.

        Raises:
            KeyError: the dataset has no file of that role.
        """
        for f in self.files:
            if f.role == role:
                return f
        raise KeyError(f"dataset {self.name!r} has no {role!r} file")

    def file_named(self, filename: str) -> RemoteFile:
        """The file called ``filename``.

        Args:
            filename: the file's name.

        Returns:
            The :class:`RemoteFile`.

        Raises:
            KeyError: there is no such file (the message lists the names).
        """
        for f in self.files:
            if f.filename == filename:
                return f
        names = ", ".join(f.filename for f in self.files)
        raise KeyError(f"dataset {self.name!r} has no file {filename!r} (it has: {names})")

    @property
    def load_files(self) -> tuple[RemoteFile, ...]:
        """The files :func:`load_dataset` needs: train ARFF, test ARFF, label XML."""
        return (self.file("train"), self.file("test"), self.file("labels"))


def _mulan(dataset: str, filename: str, role: str, sha256: str, size: int) -> RemoteFile:
    repo, commit = _MULAN
    return RemoteFile(filename, role, sha256, size, repo, commit,
                      f"data/multi-label/{dataset}/{filename}")


_YEAST = DatasetSpec(
    name="yeast",
    description="gene functional classes of yeast (micro-array expression + phylogenetic profiles)",
    files=(
        _mulan("yeast", "yeast-train.arff", "train",
               "e759dc991ff54694a4ff9c4314f3be0d6fd2b1994a4b563f57e416394c6aebbd", 1501117),
        _mulan("yeast", "yeast-test.arff", "test",
               "4aaac102bff9669a765bf0b378602e5cc8c3b181048282e2f003117b496d552a", 918515),
        # NB: yeast.arff holds the test rows FIRST, then the train rows.
        _mulan("yeast", "yeast.arff", "full",
               "55c07a3b6ff885ae338fb6987a1d57f55572b29809922c2822c4885c61230dd7", 2416688),
        _mulan("yeast", "yeast.xml", "labels",
               "c3056cc26444b5158b1588d1b73bec9c45429e10f0957ad085903423cb81f247", 526),
    ),
    n_train=1500, n_test=917, n_samples=2417, n_features=103, n_labels=14,
    cardinality=4.2371, train_cardinality=4.228, test_cardinality=4.2519,
    sparse=False,
    citation=("A. Elisseeff, J. Weston. A kernel method for multi-labelled classification. "
              "NIPS 14, pp. 681-687, 2001."),
)

_SCENE = DatasetSpec(
    name="scene",
    description="natural scene images (colour moments in a 7x7 grid)",
    files=(
        _mulan("scene", "scene-train.arff", "train",
               "b53ba93bdf412de922e3960389bcee24744fa3e872ce610511fc1d750888b64d", 3127968),
        _mulan("scene", "scene-test.arff", "test",
               "ea38d20296b3ff7e220f477a3b802a9bcb2d768881fe6ee163efbc97ea527a42", 3090742),
        # The MULAN snapshot lacks scene.arff; this gzip decompresses to the same file.
        RemoteFile("scene.orig.arff.gz", "full",
                   "16df804f2349b180ad86c3bc46fadf808b4df3588a66b45e081e0d283ea101e9", 2399010,
                   _DCSN[0], _DCSN[1], "data/multilabel/scene.orig.arff.gz"),
        _mulan("scene", "scene.xml", "labels",
               "55d8b247b949ad5c52e5a73d8c6775ec6e5469ce9682465b45b333b68ee4bcc5", 285),
    ),
    n_train=1211, n_test=1196, n_samples=2407, n_features=294, n_labels=6,
    cardinality=1.074, train_cardinality=1.0619, test_cardinality=1.0861,
    sparse=False,
    citation=("M. R. Boutell, J. Luo, X. Shen, C. M. Brown. Learning multi-label scene "
              "classification. Pattern Recognition 37(9):1757-1771, 2004."),
)

_EMOTIONS = DatasetSpec(
    name="emotions",
    description="music clips tagged with emotions (rhythmic and timbre features)",
    files=(
        _mulan("emotions", "emotions-train.arff", "train",
               "bbe704106c79bb8fb99c1d1d2e9bde081d6a2daeb01f100862f11fd91a3c1f98", 252080),
        _mulan("emotions", "emotions-test.arff", "test",
               "f13d4b746b7b5c8eb484bd751d6ac463d4560dff998a93516a5c1fe35daf6c8f", 132007),
        _mulan("emotions", "emotions.arff", "full",
               "6f2f790047073d1293ac0872c0d55f2dc98b6177802fc96c6b66b309dfee1e4b", 380476),
        _mulan("emotions", "emotions.xml", "labels",
               "dbce8e6ccbbb2fcbfd9e9edbb230d7ed12692c6e13f59fdbc0161fa9b6cf2dc0", 323),
    ),
    n_train=391, n_test=202, n_samples=593, n_features=72, n_labels=6,
    cardinality=1.8685, train_cardinality=1.8133, test_cardinality=1.9752,
    sparse=False,
    citation=("K. Trohidis, G. Tsoumakas, G. Kalliris, I. Vlahavas. Multilabel Classification "
              "of Music into Emotions. ISMIR 2008, pp. 325-330; journal version EURASIP J. "
              "Audio Speech Music Proc. 2011:4."),
)

_DELICIOUS = DatasetSpec(
    name="delicious",
    description="web pages tagged on del.icio.us (bag of words, sparse ARFF)",
    files=(
        _mulan("delicious", "delicious-train.arff", "train",
               "030186cdb542ebdd32052fcdbb1ebe30115b3a22518c1b4b198c45eb827aebe1", 3056590),
        _mulan("delicious", "delicious-test.arff", "test",
               "2dfb01723a819914b0ca83361177ed413ce3f2169851d9f228d4692915d63944", 757565),
        _mulan("delicious", "delicious.arff", "full",
               "b944de0bca910050c11d97eed57d17b073110ea3646a587f3d15d127cf581aab", 3773732),
        _mulan("delicious", "delicious.xml", "labels",
               "4e0c0f93c7d86a39b9fca4aaefaa00e9428f2c80277732dfbf03ca48e2c14da2", 34303),
    ),
    n_train=12920, n_test=3185, n_samples=16105, n_features=500, n_labels=983,
    cardinality=19.02, train_cardinality=19.0471, test_cardinality=18.9102,
    sparse=True,
    citation=("G. Tsoumakas, I. Katakis, I. Vlahavas. Effective and Efficient Multilabel "
              "Classification in Domains with Large Number of Labels. ECML/PKDD 2008 Workshop "
              "on Mining Multidimensional Data (MMD08)."),
)

_SIDER = DatasetSpec(
    name="sider",
    description="drug side effects (SMILES strings + 27 system-organ classes; no numeric features)",
    files=(
        # Same blob (e1b44e2f) at chemprop f814b63e; gone from later chemprop trees.
        RemoteFile("sider.csv", "raw",
                   "71efc6ac4ca82d6545bc512509863281be0f17234afd7adaf71a71899988302e", 183743,
                   _CHEMPROP[0], _CHEMPROP[1], "data/sider.csv"),
    ),
    n_train=None, n_test=None, n_samples=1427, n_features=None, n_labels=27,
    cardinality=15.3245, train_cardinality=None, test_cardinality=None,
    sparse=False,
    citation=("M. Kuhn et al. The SIDER database of drugs and side effects. Nucleic Acids Res. "
              "2016 (doi 10.1093/nar/gkv1075); MoleculeNet version (27 system-organ classes, "
              "1,427 drugs): Z. Wu et al., MoleculeNet, Chem. Sci. 2018 (doi 10.1039/c7sc02664a)."),
    supported=False,
    unsupported_reason=(
        "sider.csv holds SMILES strings and 27 labels but no numeric features, so it cannot be "
        "loaded as a feature matrix yet. The paper's 38 sider features were computed by its "
        "authors and are not public; computing descriptors (e.g. with RDKit) would give other "
        "features. Not supported yet: fetch the raw file with "
        "minicgmvae.data.download.fetch('sider', 'sider.csv') and build features yourself, then "
        "use minicgmvae.data.datasets.from_arrays(x, y)."
    ),
)

#: Every known dataset by name (read-only).
#:
#: :meta hide-value:
DATASETS: Mapping[str, DatasetSpec] = MappingProxyType(
    {spec.name: spec for spec in (_YEAST, _SCENE, _EMOTIONS, _DELICIOUS, _SIDER)}
)


def dataset_names(*, supported_only: bool = False) -> list[str]:
    """The names of the known datasets, in registry order.

    Args:
        supported_only: leave out the datasets :func:`~minicgmvae.data.datasets.load_dataset`
            cannot load.

    Returns:
        The names.
    """
    return [n for n, s in DATASETS.items() if s.supported or not supported_only]


def get_spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` called ``name`` (case-insensitive).

    Args:
        name: a dataset name; surrounding spaces are ignored.

    Returns:
        The dataset's entry of :data:`DATASETS`.

    Raises:
        ~minicgmvae.errors.DatasetNotFoundError: an unknown name; the message lists the known
            names and suggests the closest one.
    """
    if not isinstance(name, str):
        raise DatasetNotFoundError(
            f"A dataset name must be a string, not {type(name).__name__}. "
            f"Known datasets: {', '.join(DATASETS)}."
        )
    key = name.strip().lower()
    if key in DATASETS:
        return DATASETS[key]
    close = difflib.get_close_matches(key, list(DATASETS), n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise DatasetNotFoundError(
        f"Unknown dataset {name!r}.{hint} Known datasets: {', '.join(DATASETS)}. "
        "For your own data use minicgmvae.data.datasets.from_arrays or load_arff_dataset."
    )
