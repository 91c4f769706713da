"""optcopilot in the browser: words (+ CSV tables) → five-element model → answer, code, what-if, equivalence.

Run with `optcopilot app` or `streamlit run optcopilot/app/streamlit_app.py`. Env OPTCOPILOT_APP_LLM sets the default
LLM backend spec (e.g. `scripted:/path/answers.json` in tests); otherwise the embedded model is used.

Why one file over 450 lines: Streamlit reruns this script top to bottom on every interaction, and every
function here only lays out widgets and session state for one part of the page; what can be tested
without a browser (inputs, solving, tables, code, equivalence) is in `logic.py`.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pandas as pd
import streamlit as st

from optcopilot.app import logic
from optcopilot.formulate.events import ProgressEvent
from optcopilot.ir.model import Formulation
from optcopilot.ir.render import render_text
from optcopilot.solve.result import Result, Termination

NONE = "—"
BAR_LIMIT = 40
# every session-state key the app owns, with its initial value
STATE_DEFAULTS: dict[str, Any] = {
    "problem_text": "",
    "tables": {},  # name -> CSV text from an example or benchmark problem
    "source": "",
    "formulation_json": None,
    "result": None,
    "attempts": [],
    "info": {},
    "run_error": None,
    "ir_edit": "",
    "whatif_error": None,
    "equiv": None,
    "model_upload_id": None,
}


def init_state() -> None:
    for key, value in STATE_DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = value.copy() if isinstance(value, dict | list) else value


def current_formulation() -> Formulation | None:
    text = st.session_state.get("formulation_json")
    return Formulation.from_json(text) if text else None


def set_model(f: Formulation | None, result: Result | None, *, attempts: list[Any] | None = None,
              info: dict[str, Any] | None = None, keep_trace: bool = False) -> None:
    """Store a new current model and result; resets the what-if editors."""
    st.session_state["formulation_json"] = f.to_json() if f else None
    st.session_state["result"] = result
    if not keep_trace:
        st.session_state["attempts"] = list(attempts or [])
        st.session_state["info"] = dict(info or {})
    st.session_state["ir_edit"] = f.to_json() if f else ""
    st.session_state.pop("param_editor", None)
    st.session_state["whatif_error"] = None
    st.session_state["equiv"] = None


# ------------------------------------------------------------------------------------------------------ sidebar
def sidebar() -> dict[str, Any]:
    """LLM backend and solver settings."""
    sb = st.sidebar
    sb.header("Settings")
    env_spec = logic.default_llm_spec()
    kinds = ["Embedded model (offline)", "OpenAI-compatible server", "Other spec"]
    default = 0 if env_spec.startswith("local") else 1 if env_spec.startswith("openai:") else 2
    kind = sb.radio("LLM backend", kinds, index=default, key="llm_kind")
    base_url = api_key = ""
    if kind == kinds[0]:
        spec = env_spec if env_spec.startswith("local") else "local"
        sb.caption("Qwen2.5-Coder-1.5B (GGUF), loaded once per server process.")
    elif kind == kinds[1]:
        model = sb.text_input("Model", value=env_spec.partition(":")[2] if default == 1 else "gpt-4o-mini",
                              key="llm_model")
        base_url = sb.text_input("Base URL", value="", placeholder="https://api.openai.com/v1", key="llm_url")
        api_key = sb.text_input("API key", value="", type="password", key="llm_key")
        spec = f"openai:{model.strip()}"
    else:
        spec = sb.text_input("Backend spec", value=env_spec if default == 2 else "local", key="llm_spec",
                             help="local | local:/path.gguf | openai:MODEL | hf:PATH | scripted:/path.json")
    solver = sb.selectbox("Solver", logic.SOLVER_CHOICES, key="solver")
    samples = int(sb.number_input("Samples (vote over K formulations)", 1, 9, 1, key="samples"))
    techniques = sb.radio("Formulation", list(logic.TECHNIQUE_CHOICES), key="techniques",
                          help="fast: one worked example, no descriptions; accurate: two described worked "
                               "examples, ~6 points more accurate, ~60 % more time (README, default section)")
    time_limit = float(sb.number_input("Solver time limit (s)", 1.0, 3600.0, 30.0, step=5.0, key="time_limit"))
    llm_timeout = float(sb.number_input("LLM timeout per call (s)", 10.0, 7200.0, logic.default_llm_timeout(),
                                        step=30.0, key="llm_timeout"))
    return {"spec": spec.strip(), "llm_timeout": llm_timeout, "base_url": base_url.strip(), "api_key": api_key.strip(), "solver": solver,
            "samples": samples, "time_limit": time_limit, "techniques": logic.TECHNIQUE_CHOICES[techniques]}


@st.cache_resource(show_spinner="Loading the language model…")
def _cached_backend(spec: str, base_url: str, api_key: str) -> Any:
    return logic.make_llm(spec, base_url, api_key)


def get_backend(settings: dict[str, Any]) -> Any:
    """One backend per server process; scripted backends are fresh each run (they are consumed)."""
    if settings["spec"].startswith("scripted"):
        return logic.make_llm(settings["spec"])
    return _cached_backend(settings["spec"], settings["base_url"], settings["api_key"])


# -------------------------------------------------------------------------------------------------------- input
@st.cache_data(show_spinner=False)
def _examples() -> dict[str, logic.ProblemInput]:
    return logic.list_examples()


@st.cache_data(show_spinner=False)
def _benchmarks() -> list[str]:
    return logic.list_benchmark_datasets()


@st.cache_data(show_spinner="Loading the benchmark…")
def _benchmark_problems(name: str) -> dict[str, logic.ProblemInput]:
    return logic.load_benchmark_problems(name)


def _use_problem(problem: logic.ProblemInput) -> None:
    st.session_state["problem_text"] = problem.text
    st.session_state["tables"] = dict(problem.tables)
    st.session_state["source"] = problem.label


def _on_example() -> None:
    name = st.session_state.get("example_choice")
    if name and name != NONE and name in _examples():
        _use_problem(_examples()[name])


def _on_benchmark_problem() -> None:
    ds, pid = st.session_state.get("bench_ds"), st.session_state.get("bench_pid")
    if ds and ds != NONE and pid and pid != NONE:
        with contextlib.suppress(logic.AppInputError, KeyError):
            _use_problem(_benchmark_problems(ds)[pid])


def problem_input() -> dict[str, str] | None:
    """Problem text and tables; returns the tables to use (None when an upload is bad)."""
    st.subheader("1 · Problem")
    cols = st.columns(3)
    examples = _examples()
    cols[0].selectbox("Shipped example", [NONE, *examples], key="example_choice", on_change=_on_example)
    datasets = _benchmarks()
    if datasets:
        ds = cols[1].selectbox("Benchmark", [NONE, *datasets], key="bench_ds")
        if ds and ds != NONE:
            try:
                problems = _benchmark_problems(ds)
                cols[2].selectbox("Benchmark problem", [NONE, *problems], key="bench_pid",
                                  on_change=_on_benchmark_problem)
            except logic.AppInputError as exc:
                cols[2].error(str(exc))
    else:
        cols[1].caption("No benchmark data found (set OPTCOPILOT_DATA_DIR to browse benchmarks).")
    st.text_area("Describe the decision problem in plain words", key="problem_text", height=170,
                 placeholder="A workshop makes chairs and tables… maximize profit.")
    uploads = st.file_uploader("Data tables (CSV, optional)", type=["csv"], accept_multiple_files=True,
                               key="csv_upload")
    tables = dict(st.session_state["tables"])
    try:
        tables.update(logic.read_csv_uploads([(u.name, u.getvalue()) for u in uploads or []]))
    except logic.AppInputError as exc:
        st.error(f"Bad table upload: {exc}")
        return None
    if tables:
        st.caption("Tables: " + ", ".join(tables) + (f" · from {st.session_state['source']}"
                                                    if st.session_state["source"] else ""))
    return tables


def model_input(settings: dict[str, Any]) -> None:
    """Load an IR JSON / MPS / LP model directly (no LLM) and solve it."""
    with st.expander("…or load a model directly (IR JSON, MPS, LP)"):
        upload = st.file_uploader("Model file", type=["json", "mps", "lp", "gz"], key="model_upload")
        if upload is not None and upload.file_id != st.session_state["model_upload_id"]:
            st.session_state["model_upload_id"] = upload.file_id
            try:
                f = logic.load_model_upload(upload.name, upload.getvalue())
            except logic.AppInputError as exc:
                st.error(f"Cannot load {upload.name}: {exc}")
            else:
                _solve_and_store(f, settings, source=upload.name)
        pasted = st.text_area("Or paste an IR JSON model", key="model_paste", height=120)
        if st.button("Load pasted model and solve", key="load_pasted"):
            try:
                f = logic.parse_ir_text(pasted)
            except logic.AppInputError as exc:
                st.error(f"Cannot load the pasted model: {exc}")
            else:
                _solve_and_store(f, settings, source="pasted model")


def _solve_and_store(f: Formulation, settings: dict[str, Any], source: str) -> None:
    try:
        with st.spinner("Solving…"):
            result = logic.solve_model(f, settings["solver"], settings["time_limit"])
    except logic.AppInputError as exc:
        st.error(str(exc))
        set_model(f, None, info={"source": source})
        return
    set_model(f, result, info={"source": source})
    st.session_state["run_error"] = None


# ---------------------------------------------------------------------------------------------------------- run
def run_pipeline(text: str, tables: dict[str, str], settings: dict[str, Any]) -> None:
    """Formulate and solve with visible progress; stores the outcome in session state."""
    with st.status("Formulating…", expanded=True) as status:
        def progress(event: ProgressEvent) -> None:
            message = str(event)
            status.update(label=f"{logic.stage_label(event).capitalize()}… ({message.rstrip('…')})")
            status.write(message)

        try:
            backend = get_backend(settings)
            outcome = logic.formulate(text, backend, tables=tables, samples=settings["samples"],
                                      solver=settings["solver"], time_limit=settings["time_limit"],
                                      llm_timeout=settings["llm_timeout"], progress=progress,
                                      techniques=settings["techniques"])
        except Exception as exc:  # LLM setup errors and the like: a message, not a traceback
            status.update(label="Failed", state="error")
            st.session_state["run_error"] = f"{type(exc).__name__}: {exc}"
            return
        info = {"source": st.session_state["source"] or "typed problem", "confidence": outcome.confidence,
                "llm": dict(outcome.llm or {}), "error": outcome.error}
        set_model(outcome.formulation, outcome.result, attempts=list(outcome.attempts), info=info)
        st.session_state["run_error"] = outcome.error if outcome.formulation is None else None
        if outcome.result is not None:
            status.update(label=f"Done: {logic.status_summary(outcome.result)}", state="complete", expanded=False)
        else:
            status.update(label="No formulation found", state="error")


# ------------------------------------------------------------------------------------------------------ results
def show_formulation(f: Formulation) -> None:
    st.markdown("**Objective and constraints**")
    for line in logic.latex_lines(f):
        st.latex(line)
    for title, rows in logic.element_tables(f).items():
        st.markdown(f"**{title}**")
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        else:
            st.caption("none")
    with st.expander("As text"):
        st.code(render_text(f), language="text")


def show_solution(f: Formulation, result: Result | None) -> None:
    if result is None:
        st.info("Not solved yet.")
        return
    ok = logic.has_solution(result)
    cols = st.columns(3)
    cols[0].metric("Status", result.status.value)
    cols[1].metric("Objective", "—" if result.objective is None else f"{result.objective:.6g}")
    cols[2].metric("Solver", f"{result.solver or '?'} · {result.seconds:.2f} s")
    if result.message:
        st.caption(result.message)
    if result.status in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED):
        sentences = logic.iis_sentences(result, f)
        if sentences:
            st.error("The model is infeasible. These cannot all hold together:\n\n"
                     + "\n".join(f"- {s}" for s in sentences))
        else:
            st.error("The model is infeasible (no irreducible infeasible subset was reported).")
    elif result.status == Termination.UNBOUNDED:
        st.warning("The objective is unbounded: some variable can grow without limit.")
    elif result.status == Termination.ERROR:
        st.error(f"The solver failed: {result.message or 'no message'}")
    if not ok:
        return
    rows = logic.variable_rows(result)
    st.markdown("**Variables** (non-zeros first)")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    nonzero = [r for r in rows if abs(r["value"]) > logic.ZERO_TOL][:BAR_LIMIT]
    if nonzero:
        st.bar_chart(pd.DataFrame(nonzero).set_index("variable"), horizontal=True)
    duals, reduced = logic.sensitivity_rows(result)
    if duals or reduced:
        st.markdown("**Sensitivity** (LP)")
        c1, c2 = st.columns(2)
        if duals:
            c1.dataframe(pd.DataFrame(duals), hide_index=True, width="stretch")
        if reduced:
            c2.dataframe(pd.DataFrame(reduced), hide_index=True, width="stretch")


def show_code(f: Formulation) -> None:
    code = logic.generated_code(f)
    tabs = st.tabs([*code, "IR JSON"])
    for tab, (label, (text, reason)) in zip(tabs, code.items(), strict=False):
        with tab:
            if reason:
                st.warning(reason)
                continue
            st.download_button(f"Download {label} script", text, file_name=f"{_stem(f)}_{_slug(label)}.py",
                               mime="text/x-python", key=f"dl_{_slug(label)}")
            st.code(text, language="python")
    with tabs[-1]:
        st.download_button("Download IR JSON", f.to_json(), file_name=f"{_stem(f)}.json",
                           mime="application/json", key="dl_ir")
        st.code(f.to_json(), language="json")


def _slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _stem(f: Formulation) -> str:
    return _slug(f.name) or "model"


def show_attempts(attempts: list[Any], info: dict[str, Any]) -> None:
    llm = info.get("llm") or {}
    bits = [f"{len(attempts)} LLM call(s)"]
    cached = sum(bool(getattr(a, "cached", False)) for a in attempts)
    if cached:
        bits.append(f"{cached} answered from the cache")
    if info.get("confidence") is not None:
        bits.append(f"vote share {info['confidence']:.0%}")
    for key in ("prompt_tokens", "completion_tokens", "seconds"):
        if isinstance(llm.get(key), int | float):
            bits.append(f"{key.replace('_', ' ')} {llm[key]:g}")
    st.caption(" · ".join(bits))
    for a in attempts:
        verdict = f"error: {a.error.splitlines()[0][:90]}" if a.error else (a.status or "ok")
        source = " · cached" if getattr(a, "cached", False) else ""
        with st.expander(f"Attempt {a.index} · {a.stage}{source} · {verdict}"):
            st.markdown("**LLM answer**")
            st.code(a.response or "(empty)", language="json")
            if a.error:
                st.markdown("**Feedback sent for repair**")
                st.warning(a.error)
            if a.objective is not None:
                st.caption(f"objective {a.objective:.6g} · {a.seconds:.1f} s")


def _on_resolve_json(settings: dict[str, Any]) -> None:
    try:
        f = logic.parse_ir_text(st.session_state["ir_edit"])
        result = logic.solve_model(f, settings["solver"], settings["time_limit"])
    except logic.AppInputError as exc:
        st.session_state["whatif_error"] = str(exc)
        return
    set_model(f, result, keep_trace=True)


def _on_resolve_params(settings: dict[str, Any]) -> None:
    f = current_formulation()
    if f is None:
        return
    rows = logic.parameter_rows(f)
    edits = st.session_state.get("param_editor") or {}
    for i, change in (edits.get("edited_rows") or {}).items():
        rows[int(i)].update(change)
    try:
        new = logic.apply_parameter_rows(f, rows)
        result = logic.solve_model(new, settings["solver"], settings["time_limit"])
    except logic.AppInputError as exc:
        st.session_state["whatif_error"] = str(exc)
        return
    set_model(new, result, keep_trace=True)


def show_whatif(f: Formulation, settings: dict[str, Any]) -> None:
    st.caption("Change data or the model and re-solve without the LLM.")
    if st.session_state.get("whatif_error"):
        st.error(st.session_state["whatif_error"])
    rows = logic.parameter_rows(f)
    if rows:
        st.markdown("**Parameter values** (JSON: a number, a list, or a dict keyed by element)")
        st.data_editor(pd.DataFrame(rows), key="param_editor", hide_index=True, width="stretch",
                       disabled=["name", "index"], num_rows="fixed")
        st.button("Re-solve with these parameters", key="resolve_params", on_click=_on_resolve_params,
                  args=(settings,))
    else:
        st.caption("This model has no named parameters; edit the numbers in the IR JSON below.")
    st.markdown("**IR JSON**")
    st.text_area("Formulation (IR JSON)", key="ir_edit", height=320, label_visibility="collapsed")
    st.button("Re-solve edited JSON", key="resolve_json", on_click=_on_resolve_json, args=(settings,))


def _reference_picker() -> tuple[str, str] | None:
    """Pick a benchmark problem with a reference (the current benchmark problem is preselected when it has one)."""
    datasets = logic.reference_datasets()
    if not datasets:
        st.caption("No benchmark with reference formulations found (NLP4LP, MIPLIB-NL; set OPTCOPILOT_DATA_DIR).")
        return None
    current = st.session_state.get("bench_ds")
    cols = st.columns(2)
    ds = cols[0].selectbox("Benchmark with references", datasets, key="equiv_ref_ds",
                           index=datasets.index(current) if current in datasets else 0)
    try:
        ids = list(_benchmark_problems(ds))
    except logic.AppInputError as exc:
        st.error(str(exc))
        return None
    pid_now = st.session_state.get("bench_pid") if current == ds else None
    pid = cols[1].selectbox("Problem", ids, key="equiv_ref_pid", index=ids.index(pid_now) if pid_now in ids else 0)
    return (ds, pid) if pid else None


def show_equivalence(f: Formulation) -> None:
    st.caption("Compare this model with a reference model: a benchmark problem's reference formulation, or your "
               "own (IR JSON, MPS or LP).")
    source = st.radio("Reference", ["upload or paste", "benchmark reference"], key="equiv_source", horizontal=True)
    upload = pasted = picked = None
    if source == "upload or paste":
        upload = st.file_uploader("Reference model", type=["json", "mps", "lp", "gz"], key="equiv_upload")
        pasted = st.text_area("…or paste a reference IR JSON", key="equiv_paste", height=120)
    else:
        picked = _reference_picker()
    if st.button("Check equivalence", key="equiv_run"):
        try:
            if source == "benchmark reference":
                if picked is None:
                    raise logic.AppInputError("pick a benchmark problem with a reference formulation")
                reference = logic.benchmark_reference(*picked)
            elif upload is not None:
                reference = logic.load_model_upload(upload.name, upload.getvalue())
            else:
                reference = logic.parse_ir_text(pasted or "")
            with st.spinner("Checking…"):
                st.session_state["equiv"] = {"report": logic.check_equivalence(f, reference)}
        except logic.AppInputError as exc:
            st.session_state["equiv"] = {"error": str(exc)}
    show_equivalence_verdict(st.session_state.get("equiv"))


def show_equivalence_verdict(equiv: dict[str, Any] | None) -> None:
    """Both levels with their certificates, the variable map as a table, then the raw evidence."""
    if not equiv:
        return
    if "error" in equiv:
        st.error(equiv["error"])
        return
    report = equiv["report"]
    verdict = report["equivalent"]
    text = {True: "Equivalent", False: "Not equivalent"}.get(verdict, "Undecided")
    (st.success if verdict else st.warning)(f"{text} (method: {report['method'] or '?'})")
    levels = (("Optimal level (optima map to optima)", report["equivalent"], report.get("certificate")),
              ("Feasible level (feasible sets correspond, objective kept)", report.get("feasible"),
               report.get("feasible_certificate")))
    for title, value, cert in levels:
        word = {True: "equivalent", False: "not equivalent"}.get(value, "undecided")
        line = f"**{title}:** {word}"
        if cert:
            line += f" — {cert.get('reason', '')} (rules out {cert.get('class', '')})"
        st.markdown(line)
    st.caption("EquivaMap convention (no verified map = not equivalent): "
               + ("equivalent" if report.get("equivamap_convention") else "not equivalent"))
    rows = logic.mapping_rows(report.get("mapping") or {})
    if rows:
        direction = (report.get("mapping") or {}).get("direction", "")
        st.markdown(f"**Variable map** ({direction})")
        st.dataframe(rows, hide_index=True, use_container_width=True)
    if report.get("evidence"):
        st.markdown("**Evidence**")
        evidence = report["evidence"]
        st.json(evidence if isinstance(evidence, dict | list) else {"evidence": str(evidence)}, expanded=False)


def results(settings: dict[str, Any]) -> None:
    f = current_formulation()
    attempts = st.session_state["attempts"]
    info = st.session_state["info"]
    if st.session_state["run_error"]:
        st.error(f"No formulation: {st.session_state['run_error']}")
    if f is None:
        if attempts:
            st.subheader("Attempts")
            show_attempts(attempts, info)
        return
    st.subheader("2 · Model and answer")
    result: Result | None = st.session_state["result"]
    if result is not None:
        summary = logic.status_summary(result)
        (st.success if logic.has_solution(result) else st.warning)(f"Solution: {summary}")
    tabs = st.tabs(["Formulation", "Solution", "Code", "Attempts", "What-if", "Equivalence"])
    with tabs[0]:
        show_formulation(f)
    with tabs[1]:
        show_solution(f, result)
    with tabs[2]:
        show_code(f)
    with tabs[3]:
        if attempts:
            show_attempts(attempts, info)
        else:
            st.caption(f"No LLM attempts: the model came from {info.get('source') or 'an edit'}.")
    with tabs[4]:
        show_whatif(f, settings)
    with tabs[5]:
        show_equivalence(f)


def main() -> None:
    st.set_page_config(page_title="optcopilot", page_icon="∑", layout="wide")
    init_state()
    st.title("optcopilot")
    st.caption("Describe a decision problem; get a five-element model, an answer, and code you can run.")
    settings = sidebar()
    tables = problem_input()
    clicked = st.button("Formulate and solve", type="primary", key="run")
    model_input(settings)
    if clicked:
        text = st.session_state["problem_text"].strip()
        if not text:
            st.error("Type a problem first (or pick a shipped example).")
        elif tables is not None:
            run_pipeline(text, tables, settings)
    results(settings)


main()
