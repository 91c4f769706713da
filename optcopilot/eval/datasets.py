"""The dataset registry: every benchmark by name, where its file lives and which builder reads it.

`load_dataset(name)` is the one entry point; the schema (`Problem`, `ProblemSet`) lives in `problems.py`,
the per-schema record builders in `builders.py`, answer parsing in `answers.py`, MIPLIB in `miplib.py`.
Those names are re-exported here because callers outside `eval/` reach them as `eval.datasets.*`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from optcopilot.eval.builders import (
    build_llmopt,
    build_mamo,
    build_nlp4lp,
    build_optibench,
    build_orlm,
    build_orthought,
    build_samples,
    partial_builder,
)
from optcopilot.eval.miplib import load_miplib_mps, load_miplib_nl, solu_optima
from optcopilot.eval.problems import Builder, Loader, Problem, ProblemSet, load_records
from optcopilot.io.data_dir import DatasetError, resolve_data_dir

__all__ = ["DATASETS", "Loader", "Problem", "ProblemSet", "list_datasets", "load_dataset", "solu_optima"]


def _orthought_loader(summary: str) -> Callable[[Loader, Path], ProblemSet]:
    """ORThought files: the problem types come from a separate summary file."""

    def load(loader: Loader, data_dir: Path) -> ProblemSet:
        path = data_dir / "orthought" / summary
        types = {}
        if path.exists():
            types = {k: v.get("problem_type") for k, v in json.loads(path.read_text()).items()}
        return load_records(loader.name, data_dir / loader.relpath, partial_builder(build_orthought, types))

    return load


def load_optibench_file(path: str | Path, dataset: str = "optibench") -> ProblemSet:
    """Load any OptiBench-schema JSON / JSON-Lines file (e.g. the repo's tiny sample)."""
    return load_records(dataset, Path(path), build_optibench)


_LINEAR_LLMOPT = partial_builder(build_llmopt, "linear")
_UNKNOWN_LLMOPT = partial_builder(build_llmopt, "unknown")
_LINEAR_ORLM = partial_builder(build_orlm, "linear")
_UNKNOWN_ORLM = partial_builder(build_orlm, "unknown")
_SAMPLES_WITH_DATA = partial_builder(build_samples, True)
_SAMPLES = partial_builder(build_samples, False)

_OB, _CLEAN = "optibench_resocratic", "llm4or_clean"
# name, file under the data directory, description, builder
_RECORD_DATASETS: tuple[tuple[str, str, str, Builder], ...] = (
    ("optibench", f"{_OB}/OptiBench.json", "OptiBench 605, multi-value results", build_optibench),
    ("nl4opt-e", f"{_OB}/NL4OPT-E.json", "NL4Opt test re-annotated (ReSocratic) 289", build_optibench),
    ("mamo-easy", "mamo/mamo_easy_lp.jsonl", "MAMO EasyLP original 652", build_mamo),
    ("mamo-complex", "mamo/mamo_complex_lp.jsonl", "MAMO ComplexLP original 211", build_mamo),
    ("nl4opt", "llmopt_testsets/nl4opt_test.jsonl", "NL4Opt test, LLMOPT copy 230", _LINEAR_LLMOPT),
    ("industryor", "industryor/IndustryOR_original_v1.jsonl", "IndustryOR v1 (ORLM) 100", _UNKNOWN_ORLM),
    ("industryor-v2", "industryor/IndustryOR_hf_v2_or_llm_agent.jsonl", "IndustryOR later revision 100",
     _UNKNOWN_ORLM),
    ("nlp4lp", "nlp4lp/nlp4lp_full269.jsonl", "NLP4LP (OptiMUS) 269", build_nlp4lp),
    ("complexor", "complexor/complexor_coe18.jsonl", "ComplexOR (Chain-of-Experts) 18", _SAMPLES_WITH_DATA),
    ("complexor-44", "complexor/complexor_llm4or44.jsonl", "ComplexOR LLM4OR superset 44", _SAMPLES_WITH_DATA),
    ("clean-industryor", f"{_CLEAN}/IndustryOR.jsonl", "IndustryOR, LLM4OR-cleaned 42", _UNKNOWN_ORLM),
    ("clean-mamo-easy", f"{_CLEAN}/Mamo_easy_lp_clean.jsonl", "MAMO EasyLP, LLM4OR-cleaned 545", build_mamo),
    ("clean-mamo-complex", f"{_CLEAN}/Mamo_complex_lp_clean.jsonl", "MAMO ComplexLP, LLM4OR-cleaned 111",
     build_mamo),
    ("clean-resocratic", f"{_CLEAN}/ReSocratic.jsonl", "OptiBench, LLM4OR-cleaned 403", build_optibench),
    ("clean-nl4opt", f"{_CLEAN}/nl4opt_clean.jsonl", "NL4Opt, LLM4OR-cleaned 214", _SAMPLES),
    ("clean-nlp4lp", f"{_CLEAN}/nlp4lp_clean.jsonl", "NLP4LP, LLM4OR-cleaned 178", build_nlp4lp),
    ("clean-complexor", f"{_CLEAN}/complexor_clean.jsonl", "ComplexOR, LLM4OR-cleaned 18", _SAMPLES_WITH_DATA),
)
# LLMOPT's and SIRL's copies of the public test sets: short name -> (file, linearity)
_LLMOPT_COPIES = {
    "nl4opt": ("nl4opt_test.jsonl", _LINEAR_LLMOPT), "mamo-easy": ("mamo_easy_test.jsonl", _LINEAR_LLMOPT),
    "mamo-complex": ("mamo_complex_test.jsonl", _LINEAR_LLMOPT), "nlp4lp": ("nlp4lp.jsonl", _LINEAR_LLMOPT),
    "complexor": ("complexor.jsonl", _LINEAR_LLMOPT), "industryor": ("industryor.jsonl", _UNKNOWN_LLMOPT),
    "task3": ("task3_test.jsonl", _UNKNOWN_LLMOPT), "optibench": ("optibench.jsonl", _UNKNOWN_LLMOPT),
}
_SIRL_COPIES = {
    "nl4opt": ("NL4OPT.jsonl", _LINEAR_ORLM), "mamo-easy": ("MAMO_EasyLP.json", _LINEAR_ORLM),
    "mamo-easy-fixed": ("MAMO_EasyLP_fixed.jsonl", _LINEAR_ORLM),
    "mamo-complex": ("MAMO_ComplexLP.json", _LINEAR_ORLM),
    "mamo-complex-fixed": ("MAMO_ComplexLP_fixed.jsonl", _LINEAR_ORLM),
    "industryor-fixedv2": ("IndustryOR_fixedV2.json", _UNKNOWN_ORLM), "optibench": ("OptiBench.jsonl", _UNKNOWN_ORLM),
}


def _registry() -> dict[str, Loader]:
    loaders = [Loader(name, path, text, build) for name, path, text, build in _RECORD_DATASETS]
    loaders += [
        Loader("complexor-orthought", "complexor/complexor_orthought18.jsonl", "ComplexOR, ORThought-corrected 18",
               custom=_orthought_loader("summary_complexor.json")),
        Loader("orthought-industryor", "orthought/industryor_with_models.jsonl", "IndustryOR, ORThought-corrected 83",
               custom=_orthought_loader("summary_industryor.json")),
        Loader("orthought-nlp4lp", "orthought/nlp4lp_with_models.jsonl", "NLP4LP, ORThought-corrected 264",
               custom=_orthought_loader("summary_nlp4lp.json")),
        Loader("miplib-mps", "miplib/selected.solu", "34 MIPLIB 2017 instances (MPS) with .solu references",
               custom=load_miplib_mps),
        Loader("miplib-nl", "miplib/miplib_nl", "15 MIPLIB-NL texts with CSV tables", custom=load_miplib_nl),
    ]
    loaders += [Loader(f"llmopt-{short}", f"llmopt_testsets/{fname}", f"LLMOPT test set {fname}", build)
                for short, (fname, build) in _LLMOPT_COPIES.items()]
    loaders += [Loader(f"sirl-{short}", f"sirl_fixed/{fname}", f"SIRL copy {fname}", build)
                for short, (fname, build) in _SIRL_COPIES.items()]
    return {loader.name: loader for loader in loaders}


DATASETS: dict[str, Loader] = _registry()


def list_datasets() -> list[str]:
    """Names of all registered datasets, sorted."""
    return sorted(DATASETS)


def load_dataset(name: str, data_dir: str | Path | None = None) -> ProblemSet:
    """Load a registered dataset; ``.report`` on the result lists skipped records."""
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; known: {', '.join(list_datasets())}")
    return DATASETS[name](resolve_data_dir(data_dir))
