"""PNG plots for an evaluation summary (matplotlib's Agg canvas, no pyplot global state)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

CATEGORY_COLORS = {
    "ok": "#2e7d32",
    "wrong_value": "#c62828",
    "invalid_ir": "#6a1b9a",
    "infeasible": "#ef6c00",
    "unbounded": "#f9a825",
    "timeout": "#1565c0",
    "llm_error": "#455a64",
    "no_answer": "#8d6e63",
    "error": "#000000",
}


def _figure(width: float = 6.4, height: float = 3.6) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def plot_accuracy_by_type(summary: Mapping[str, Any], path: str | Path) -> Path:
    """Bar chart of accuracy (%) per problem type, with the overall accuracy as a dashed line."""
    by_type = summary.get("by_type", {})
    names = list(by_type) or ["(none)"]
    values = [100.0 * (by_type[n]["accuracy"] or 0.0) for n in by_type] or [0.0]
    counts = [by_type[n]["n"] for n in by_type] or [0]
    fig = _figure(max(4.0, 1.2 * len(names) + 2.0))
    ax = fig.add_subplot(1, 1, 1)
    bars = ax.bar(names, values, color="#1565c0")
    for bar, n in zip(bars, counts, strict=True):
        ax.annotate(f"n={n}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                    fontsize=8)
    overall = summary.get("accuracy")
    if overall is not None:
        ax.axhline(100.0 * overall, color="#c62828", linestyle="--", linewidth=1, label=f"overall {100 * overall:.1f}%")
        ax.legend(loc="upper right", fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{summary.get('dataset', '')} · {summary.get('mode', '')}: accuracy by type")
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, format="png")
    return out


def plot_failures(summary: Mapping[str, Any], path: str | Path) -> Path:
    """Horizontal bar chart of records per outcome category (ok included)."""
    failures = {k: v for k, v in summary.get("failures", {}).items() if v} or {"(none)": 0}
    names = list(failures)
    fig = _figure(6.4, max(2.4, 0.45 * len(names) + 1.2))
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(names, [failures[n] for n in names], color=[CATEGORY_COLORS.get(n, "#9e9e9e") for n in names])
    for i, n in enumerate(names):
        ax.annotate(str(failures[n]), (failures[n], i), xytext=(3, 0), textcoords="offset points", va="center",
                    fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("problems")
    ax.set_title(f"{summary.get('dataset', '')} · {summary.get('mode', '')}: outcomes")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, format="png")
    return out


def write_plots(summary: Mapping[str, Any], out_dir: str | Path) -> list[Path]:
    """Write ``accuracy_by_type.png`` and ``failures.png`` into ``out_dir``."""
    out = Path(out_dir)
    return [
        plot_accuracy_by_type(summary, out / "accuracy_by_type.png"),
        plot_failures(summary, out / "failures.png"),
    ]
