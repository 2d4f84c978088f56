"""The studies behind the book's results: seeds, ablations, data efficiency, speed, findings.

The public names of ``minicgmvae.studies``, listed once; each is documented in its module
(``METHODS`` of ``data_efficiency`` here; ``headline.METHODS`` and the function
``headline.headline`` stay in their module, whose names they share).
"""
# ruff: noqa: I001  (in the order of the modules' own lists)

from .experiments import (
    train_seeds as train_seeds,
    evaluate_model as evaluate_model,
    summarise as summarise,
    rescore_runs as rescore_runs,
    merge_seed_records as merge_seed_records,
    split_description as split_description,
    study_record as study_record,
)
from .ablations import (
    ABLATION_EPOCHS as ABLATION_EPOCHS,
    VARIANTS as VARIANTS,
    VARIANT_KEYS as VARIANT_KEYS,
    Variant as Variant,
    get_variants as get_variants,
    run_ablation as run_ablation,
    seed_ranges_separate as seed_ranges_separate,
    seed_values as seed_values,
    summarise_diagnostics as summarise_diagnostics,
)
from .data_efficiency import (
    FRACTIONS as FRACTIONS,
    METHODS as METHODS,
    get_cell as get_cell,
    learning_curve as learning_curve,
    run_data_efficiency as run_data_efficiency,
)
from .benchmark import (
    matmul_gflops as matmul_gflops,
    time_ms as time_ms,
    epoch_flops as epoch_flops,
    profile_step as profile_step,
    run_one as run_one,
    format_rows as format_rows,
    summarize_runs as summarize_runs,
    format_summary as format_summary,
)
from .book_results import (
    RAW_URL as RAW_URL,
    describe_provenance as describe_provenance,
    list_book_results as list_book_results,
    load_book_result as load_book_result,
    results_dir as results_dir,
    results_root as results_root,
)
from .findings import (
    ablation_effects as ablation_effects,
    collapse as collapse,
    delicious_macro_f1 as delicious_macro_f1,
    half_data_verdict as half_data_verdict,
    nine_seeds as nine_seeds,
    per_seed as per_seed,
    reproduction as reproduction,
    versus_mlp as versus_mlp,
)
from .headline import (
    HEADLINE_DATASETS as HEADLINE_DATASETS,
    HEADLINE_PROTOCOLS as HEADLINE_PROTOCOLS,
    headline_markdown as headline_markdown,
    headline_table as headline_table,
)
