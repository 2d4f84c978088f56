"""The datasets: the registry, downloads, ARFF and CSV reading, values, subsets.

The public names of ``minicgmvae.data``, listed once; each is documented in its module.
"""
# ruff: noqa: I001  (in the order of the modules' own lists)

from .datasets import (
    MultiLabelData as MultiLabelData,
    load_dataset as load_dataset,
    load_arff_dataset as load_arff_dataset,
    from_arrays as from_arrays,
    validate_arrays as validate_arrays,
    list_datasets as list_datasets,
    dataset_info as dataset_info,
)
from .values import (
    non_binary as non_binary,
    non_finite as non_finite,
    label_coverage as label_coverage,
)
from .registry import (
    RAW_BASE_URL as RAW_BASE_URL,
    RemoteFile as RemoteFile,
    DatasetSpec as DatasetSpec,
    DATASETS as DATASETS,
    get_spec as get_spec,
    dataset_names as dataset_names,
)
from .download import (
    ENV_DATA_DIR as ENV_DATA_DIR,
    ENV_MIRROR as ENV_MIRROR,
    DEFAULT_TIMEOUT as DEFAULT_TIMEOUT,
    default_cache_dir as default_cache_dir,
    resolve_cache_dir as resolve_cache_dir,
    resolve_mirror as resolve_mirror,
    mirror_url as mirror_url,
    sha256_file as sha256_file,
    cached_path as cached_path,
    fetch as fetch,
)
from .arffio import ArffData as ArffData, read_arff as read_arff, read_mulan_xml as read_mulan_xml
from .csvio import (
    CsvTable as CsvTable,
    CsvData as CsvData,
    read_csv_table as read_csv_table,
    read_csv_dataset as read_csv_dataset,
    read_csv_features as read_csv_features,
    load_csv_dataset as load_csv_dataset,
    write_csv as write_csv,
)
from .parsed_cache import (
    CACHE_FORMAT as CACHE_FORMAT,
    parse_registered as parse_registered,
    parsed_path as parsed_path,
    read_parsed as read_parsed,
    write_parsed as write_parsed,
)
from .subsets import (
    most_frequent_labels as most_frequent_labels,
    training_subset as training_subset,
)
