"""Summaries of an evaluation run: ``summary.json``, ``summary.md``, plots, and side-by-side comparisons."""

from __future__ import annotations

import json
import os
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from optcopilot.eval.config import CONFIG_FILE, load_config
from optcopilot.eval.equivalence_report import equivalence_cells, equivalence_lines, equivalence_summary
from optcopilot.eval.pipeline_report import pipeline_lines, pipeline_summary
from optcopilot.eval.records import Category, EvalRecord
from optcopilot.eval.reference_report import reference_lines, reference_summary
from optcopilot.eval.store import RESULTS_FILE, read_records, unique_records

SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
RULE_NOTES = {
    "optibench": "every reference key predicted and |pred - ref| < 1e-4 (ReSocratic/OptiBench)",
    "objective": "objective only, |pred - ref| <= 1e-4 or <= 1e-4·|ref|",
    "llmopt": "objective only, within 0.005 of the 2-decimal reference (or the objective rule)",
    "orlm": "ORLM: integer-rounded values within 5% relative error",
    "sirl": "SIRL: |pred - ref| / (|ref| + 1) < 1e-6",
    "infeasible": "reference infeasible, prediction must say so",
    "miplib-rel1e-6": "objective within 1e-6 relative (or 1e-6 absolute) of the MIPLIB .solu value; "
                      "HiGHS at mip_rel_gap=0",
}


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 6) if den else None


def summarize(records: Sequence[EvalRecord], config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Aggregate records of one run (first record per id; restricted to the run's ids when known)."""
    cfg = dict((config or {}).get("config", {}))
    ids = list((config or {}).get("ids", []))
    by_id = unique_records(records)
    recs = [by_id[i] for i in ids if i in by_id] if ids else list(by_id.values())
    n = len(recs)
    correct = sum(r.category == Category.OK for r in recs)
    types: dict[str, dict[str, Any]] = {}
    for rec in sorted(recs, key=lambda r: r.ptype):
        t = types.setdefault(rec.ptype, {"n": 0, "correct": 0, "executed": 0})
        t["n"] += 1
        t["correct"] += rec.category == Category.OK
        t["executed"] += rec.executed
    for t in types.values():
        t["accuracy"] = _rate(t["correct"], t["n"])
        t["execution_rate"] = _rate(t["executed"], t["n"])
    cats = Counter(r.category for r in recs)
    failures = {c.value: cats.get(c, 0) for c in Category}
    prompt = sum(r.tokens.prompt for r in recs)
    completion = sum(r.tokens.completion for r in recs)
    secs = [r.seconds for r in recs]
    calls = [r.llm_calls for r in recs if r.llm_calls is not None]
    checked = [r.verdict for r in recs if r.verdict is not None and r.verdict.alternative_checked]
    llm_recs = sum(bool(r.llm) for r in recs)
    with_pred = [r for r in recs if r.predicted]
    ref_keys = sum(len(r.reference) for r in with_pred)
    unmapped = sum(len(r.unmapped_keys) for r in with_pred)
    rules = Counter(r.verdict.rule for r in recs if r.verdict is not None)
    rule = cfg.get("rule") or (rules.most_common(1)[0][0] if rules else "")
    dataset = cfg.get("dataset") or (recs[0].dataset if recs else "")
    return {
        "dataset": dataset,
        "mode": (recs[0].mode if recs else None) or cfg.get("mode", ""),
        "llm": cfg.get("llm_spec") if (recs and recs[0].llm) else None,
        "rule": rule,
        "rule_note": RULE_NOTES.get(rule, ""),
        "time_limit": cfg.get("time_limit"),
        "llm_timeout": cfg.get("llm_timeout"),
        "samples": cfg.get("samples"),
        "selected": len(ids) if ids else n,
        "n": n,
        "pending": (len(ids) - n) if ids else 0,
        "correct": correct,
        "accuracy": _rate(correct, n),
        "executed": sum(r.executed for r in recs),
        "execution_rate": _rate(sum(r.executed for r in recs), n),
        "by_type": types,
        "failures": failures,
        "tokens": {"prompt": prompt, "completion": completion, "total": prompt + completion,
                   "mean_per_problem": round((prompt + completion) / n, 1) if n else None},
        "seconds": {"total": round(sum(secs), 3), "mean": round(statistics.fmean(secs), 3) if secs else None,
                    "median": round(statistics.median(secs), 3) if secs else None,
                    "max": round(max(secs), 3) if secs else None},
        "alternative_optima": {"right_objective_other_values": len(checked),
                               "verified": sum(v.alternative_optimum is True for v in checked),
                               "refuted": sum(v.alternative_optimum is False for v in checked)},
        "llm_calls": {"total": sum(c.total for c in calls), "cached": sum(c.cached for c in calls),
                      "unrecorded_problems": max(0, llm_recs - len(calls))},
        "reference_keys": {"total": ref_keys, "unmapped": unmapped,
                           "problems_with_unmapped": sum(bool(r.unmapped_keys) for r in with_pred)},
        "reference_check": reference_summary(recs, dataset),
        "equivalence": equivalence_summary(recs),
        "pipeline": pipeline_summary(recs),
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _alternatives_lines(alt: Mapping[str, Any] | None) -> list[str]:
    """Wrong under the rule only because the variables differ: how many are verified alternative optima."""
    if not alt or not alt.get("right_objective_other_values"):
        return []
    return ["", f"Right objective, other variable values than the reference: {alt['right_objective_other_values']} "
            f"problem(s). In {alt['verified']} of them the reference's values are optimal in our model too "
            "(checked by solving it with them fixed): a different optimum of the same problem, which the rule "
            f"still counts wrong. In {alt['refuted']} the reference's values are infeasible or worse in our "
            "model (a modelling difference)."]


def _throughput_line(mean_seconds: float | None) -> list[str]:
    """Problems per hour of one process, from the mean time per problem (records of resumed runs included)."""
    if not mean_seconds:
        return []
    return [f"- Throughput: {3600 / mean_seconds:.0f} problems per hour (one process, from the mean)"]


def _calls_line(calls: Mapping[str, Any] | None) -> list[str]:
    """The LLM-call line of the cost section; says how many answers came from the response cache."""
    if not calls or not (calls.get("total") or calls.get("unrecorded_problems")):
        return []
    line = f"- LLM calls: {calls['total']}, of which {calls['cached']} answered from the response cache"
    if calls["cached"]:
        line += " (their time is not generation time)"
    if calls.get("unrecorded_problems"):
        line += f"; not recorded for {calls['unrecorded_problems']} problems (older records)"
    return [line]


def render_markdown(summary: Mapping[str, Any]) -> str:
    """``summary.md`` text for one run."""
    s = summary
    title = f"# Evaluation: {s['dataset']} ({s['mode']}{', llm ' + str(s['llm']) if s.get('llm') else ''})"
    lines = [
        title,
        "",
        f"- Scoring rule: `{s['rule']}`" + (f" — {s['rule_note']}" if s.get("rule_note") else ""),
        f"- Problems: {s['n']} evaluated of {s['selected']} selected"
        + (f" ({s['pending']} pending)" if s.get("pending") else ""),
        f"- **Accuracy: {s['correct']}/{s['n']} = {_pct(s['accuracy'])}**",
        f"- Execution rate (a solution or a definitive infeasible/unbounded answer): "
        f"{s['executed']}/{s['n']} = {_pct(s['execution_rate'])}",
        f"- Limits: solver {s.get('time_limit')} s, LLM {s.get('llm_timeout')} s, samples {s.get('samples')}",
        "",
        "## Accuracy by type",
        "",
        "| type | n | correct | accuracy | execution rate |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, t in s["by_type"].items():
        lines.append(f"| {name} | {t['n']} | {t['correct']} | {_pct(t['accuracy'])} | {_pct(t['execution_rate'])} |")
    lines += ["", "## Outcomes", "", "| category | count | share |", "|---|---:|---:|"]
    for cat, count in s["failures"].items():
        if count:
            lines.append(f"| {cat} | {count} | {_pct(count / s['n'] if s['n'] else None)} |")
    lines += _alternatives_lines(s.get("alternative_optima"))
    lines += reference_lines(s.get("reference_check"))
    lines += equivalence_lines(s.get("equivalence"))
    lines += pipeline_lines(s.get("pipeline"))
    tok, sec, keys = s["tokens"], s["seconds"], s["reference_keys"]
    lines += [
        "",
        "## Cost",
        "",
        f"- Tokens: {tok['total']} total ({tok['prompt']} prompt, {tok['completion']} completion), "
        f"{tok['mean_per_problem']} per problem",
        f"- Time: {sec['total']} s total, mean {sec['mean']} s, median {sec['median']} s, max {sec['max']} s",
        *_throughput_line(sec.get("mean")),
        *_calls_line(s.get("llm_calls")),
        "",
        "## Reference keys",
        "",
        f"- {keys['unmapped']} of {keys['total']} reference keys could not be mapped to a predicted value "
        f"({keys['problems_with_unmapped']} problems affected; counted over problems with a prediction)",
        "",
        "![accuracy by type](accuracy_by_type.png)",
        "",
        "![outcomes](failures.png)",
        "",
    ]
    return "\n".join(lines)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(out_dir: str | Path, *, plots: bool = True) -> dict[str, Any]:
    """Summarize ``out_dir/results.jsonl`` into ``summary.json``, ``summary.md`` and PNG plots."""
    out = Path(out_dir)
    if not (out / RESULTS_FILE).exists() and not (out / CONFIG_FILE).exists():
        raise FileNotFoundError(f"{out}: no {RESULTS_FILE} (not an evaluation run directory)")
    summary = summarize(read_records(out / RESULTS_FILE), load_config(out))
    _write_atomic(out / SUMMARY_JSON, json.dumps(summary, indent=2))
    _write_atomic(out / SUMMARY_MD, render_markdown(summary))
    if plots:
        from optcopilot.eval.plots import write_plots

        write_plots(summary, out)
    return summary


def load_summary(out_dir: str | Path) -> dict[str, Any]:
    """A run's summary, recomputed from its results (so it is current even after a crash)."""
    out = Path(out_dir)
    return summarize(read_records(out / RESULTS_FILE), load_config(out))


def compare_runs(dirs: Sequence[str | Path]) -> str:
    """Markdown table comparing several run directories side by side."""
    summaries = [load_summary(d) for d in dirs]
    headers = [Path(d).name or str(d) for d in dirs]
    rows: list[tuple[str, list[str]]] = [
        ("dataset", [str(s["dataset"]) for s in summaries]),
        ("mode", [str(s["mode"]) for s in summaries]),
        ("llm", [str(s["llm"] or "-") for s in summaries]),
        ("rule", [f"`{s['rule']}`" for s in summaries]),
        ("problems", [f"{s['n']}/{s['selected']}" for s in summaries]),
        ("**accuracy**", [f"**{_pct(s['accuracy'])}** ({s['correct']})" for s in summaries]),
        ("execution rate", [_pct(s["execution_rate"]) for s in summaries]),
    ]
    types = sorted({t for s in summaries for t in s["by_type"]})
    for t in types:
        rows.append((f"acc {t}", [_type_cell(s, t) for s in summaries]))
    cats = [c for c in dict.fromkeys(c for s in summaries for c in s["failures"]) if c != "ok"]
    for c in cats:
        if any(s["failures"].get(c) for s in summaries):
            rows.append((c, [str(s["failures"].get(c, 0)) for s in summaries]))
    rows += [
        ("tokens / problem", [str(s["tokens"]["mean_per_problem"]) for s in summaries]),
        ("seconds / problem", [str(s["seconds"]["mean"]) for s in summaries]),
        ("LLM calls (cached)", [_calls_cell(s.get("llm_calls")) for s in summaries]),
        ("other optimum (verified)", [_alt_cell(s.get("alternative_optima")) for s in summaries]),
        ("unmapped keys", [f"{s['reference_keys']['unmapped']}/{s['reference_keys']['total']}" for s in summaries]),
    ]
    if any(s.get("equivalence") for s in summaries):
        cells = [equivalence_cells(s.get("equivalence")) for s in summaries]
        rows += [("equivalent (optimal / feasible level)", [c[0] for c in cells]),
                 ("right value not equiv. / equiv. wrong value / undecided", [c[1] for c in cells])]
    lines = ["| | " + " | ".join(headers) + " |", "|---|" + "---:|" * len(headers)]
    lines += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows]
    return "\n".join(lines) + "\n"


def _calls_cell(calls: Mapping[str, Any] | None) -> str:
    if not calls or not (calls.get("total") or calls.get("unrecorded_problems")):
        return "-"
    return f"{calls['total']} ({calls['cached']})"


def _alt_cell(alt: Mapping[str, Any] | None) -> str:
    if not alt or not alt.get("right_objective_other_values"):
        return "-"
    return f"{alt['right_objective_other_values']} ({alt['verified']})"


def _type_cell(summary: Mapping[str, Any], ptype: str) -> str:
    t = summary["by_type"].get(ptype)
    return "-" if t is None else f"{_pct(t['accuracy'])} (n={t['n']})"
