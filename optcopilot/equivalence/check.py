"""`check_equivalence`: find a map between two models and verify it both ways, on several instances."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from optcopilot.equivalence.certificates import point_certificate, status_certificate, value_certificate
from optcopilot.equivalence.flat import EquivalenceInputError, FlatModel, ModelLike, to_flat
from optcopilot.equivalence.levels import LevelVerdict, feasible_verdict
from optcopilot.equivalence.matching import Relation, relations
from optcopilot.equivalence.solving import Solution, optimum, perturbed_optimum
from optcopilot.equivalence.verify import Verdict, check_direction
from optcopilot.ir.model import Formulation
from optcopilot.solve.result import Termination

SAMPLES = 2  # optima per model: the plain one plus perturbed-cost ones
INSTANCES = 2  # perturbed data instances when the models share parameters


@dataclass
class EquivalenceReport:
    """Verdicts at two levels, how they were reached, the map and the evidence.

    `equivalent` is the optimal level (EquivaMap: a map sends optima to optima, both ways); `feasible` is the
    feasible level (maps both ways between the feasible sets keeping the objective, proved constraint by
    constraint). A `False` at either level carries `evidence["certificate"]` naming the class of maps it
    rules out; `None` means neither a verified map nor a certificate was found. `equivamap_convention`
    is EquivaMap's own scoring: no verified map counts as not equivalent.
    """

    equivalent: bool | None
    method: str
    mapping: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    feasible: LevelVerdict = field(default_factory=lambda: LevelVerdict(None, {"reason": "not checked"}))

    @property
    def equivamap_convention(self) -> bool:
        return self.equivalent is True

    @property
    def certificate(self) -> dict[str, Any] | None:
        return self.evidence.get("certificate")

    def to_dict(self) -> dict[str, Any]:
        return {"equivalent": self.equivalent, "method": self.method, "mapping": self.mapping,
                "evidence": self.evidence, "seconds": round(self.seconds, 4),
                "levels": {"optimal": {"equivalent": self.equivalent, "method": self.method,
                                       "certificate": self.certificate},
                           "feasible": self.feasible.to_dict()},
                "equivamap_convention": self.equivamap_convention}


class _Clock:
    def __init__(self, limit: float) -> None:
        self.start = time.perf_counter()
        self.deadline = self.start + limit

    def left(self, floor: float = 0.5) -> float:
        return max(floor, self.deadline - time.perf_counter())

    def over(self) -> bool:
        return time.perf_counter() > self.deadline

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def check_equivalence(candidate: ModelLike, reference: ModelLike, *, llm: Any = None, use_llm: bool = True,
                      time_limit: float = 60.0) -> EquivalenceReport:
    """Are the two models equivalent, at the optimal level and at the feasible level?

    Structural discovery first (names, then colour refinement on canonical forms, then a least-squares
    fit on perturbed instances); only when it finds no map at all, no certificate settles the pair and
    `use_llm` is set, the LLM is asked (`llm`: a backend with `chat`, a spec string, or None for the default
    backend). Raises EquivalenceInputError for bad inputs (empty, invalid or nonlinear models).
    """
    clock = _Clock(time_limit)
    cand, ref = to_flat(candidate), to_flat(reference)
    base = _check_instance(cand, ref, clock, llm if use_llm else False)
    report, instances = base.report, [base]
    formulations = isinstance(candidate, Formulation) and isinstance(reference, Formulation)
    if report.equivalent and formulations:
        report, perturbed = _check_perturbed(candidate, reference, report, clock)  # type: ignore[arg-type]
        instances += perturbed
    if report.equivalent is None and not report.mapping and formulations and not clock.over():
        fitted = _try_fit(candidate, reference, cand, ref, clock)  # type: ignore[arg-type]
        if fitted is not None:
            report, instances = fitted.report, [fitted]
    report.feasible = _feasible_level(report, instances, clock)
    report.seconds = clock.elapsed()
    return report


@dataclass
class _Instance:
    """One data instance: its optimal-level report and what the feasible level reuses (solves, relations)."""

    report: EquivalenceReport
    cand: FlatModel
    ref: FlatModel
    sc: Solution
    sr: Solution
    tried: list[Relation] = field(default_factory=list)
    more: Iterator[Relation] | None = None
    samples: _Samples | None = None

    def relations(self) -> Iterator[Relation]:
        """The verified relation first, then the others tried, then any not yet generated."""
        verified = [r for r in self.tried if r.method == self.report.method]
        yield from verified
        yield from (r for r in self.tried if r not in verified)
        if self.more is not None:
            yield from self.more


def _feasible_level(report: EquivalenceReport, instances: list[_Instance], clock: _Clock) -> LevelVerdict:
    """Every instance's feasible-level verdict; True only when all instances prove it."""
    verdicts: list[LevelVerdict] = []
    for n, inst in enumerate(instances):
        optimal = report.equivalent if n == 0 else inst.report.equivalent
        cert = report.certificate if n == 0 else inst.report.certificate
        samples: tuple[list[Any], list[Any]] = ([], [])
        if inst.samples is not None:
            samples = tuple([s.x for s in [inst.samples.base[side], *inst.samples.get(side)] if s.x is not None]
                            for side in (False, True))  # type: ignore[assignment]
        verdict = feasible_verdict(inst.cand, inst.ref, inst.sc, inst.sr, optimal, cert, inst.relations(),
                                   samples, clock.deadline)
        if n:
            verdict.evidence["instance"] = n
        if verdict.equivalent is False:
            return verdict
        verdicts.append(verdict)
        if verdict.equivalent is None:
            break
    if verdicts and all(v.equivalent for v in verdicts):
        first = verdicts[0]
        if len(verdicts) > 1:
            first.evidence["perturbed_instances"] = len(verdicts) - 1
        return first
    return next((v for v in verdicts if v.equivalent is None), LevelVerdict(None, {"reason": "not checked"}))


def _status_report(sc: Solution, sr: Solution) -> EquivalenceReport | None:
    ev: dict[str, Any] = {"candidate_status": sc.status, "reference_status": sr.status}
    if sc.status == Termination.OPTIMAL and sr.status == Termination.OPTIMAL:
        return None
    if any(s.time_limit or s == Termination.ERROR for s in (sc.status, sr.status)):
        return EquivalenceReport(None, "status", evidence={**ev, "reason": "a model was not solved to optimality"})
    if sc.status == sr.status or (sc.status.infeasible and sr.status.infeasible):
        return EquivalenceReport(True if sc.status in (Termination.INFEASIBLE, Termination.UNBOUNDED) else None,
                                 "status",
                                 evidence={**ev, "reason": "both models have no optimum for the same reason"})
    ev.update({"reason": "one model has an optimum, the other not", "candidate_objective": sc.objective,
               "reference_objective": sr.objective})
    cert = status_certificate(sc, sr)
    if cert is None:
        return EquivalenceReport(None, "status", evidence=ev)
    return EquivalenceReport(False, "status", evidence={**ev, "certificate": cert})


def _check_instance(cand: FlatModel, ref: FlatModel, clock: _Clock, llm: Any) -> _Instance:
    sc, sr = optimum(cand, clock.left()), optimum(ref, clock.left())
    status = _status_report(sc, sr)
    if status is not None:
        return _Instance(status, cand, ref, sc, sr)
    samples = _Samples(cand, ref, sc, sr, clock)
    inst = _Instance(EquivalenceReport(None, "none"), cand, ref, sc, sr, samples=samples)
    failures: list[tuple[Relation, Verdict]] = []
    tried: list[str] = []
    generator = relations(cand, ref, clock.deadline)
    inst.more = generator
    for rel in generator:
        tried.append(rel.method)
        inst.tried.append(rel)
        verdict = _verify(rel, samples, clock)
        if verdict.ok:
            inst.report = _report(True, rel, verdict, cand, ref, sc, sr, tried)
            return inst
        if verdict.usable:
            failures.append((rel, verdict))
        if clock.over():
            break
    value = value_certificate(sc, sr)
    if llm is not False and not failures and value is None and not clock.over():  # only when nothing settles it
        llm_report = _try_llm(llm, samples, cand, ref, sc, sr, clock, tried)
        if llm_report is not None:
            inst.report = llm_report
            return inst
    refutations = [{"method": rel.method, **verdict.evidence} for rel, verdict in failures]
    cert = value or point_certificate(refutations, "optimal")
    if failures:
        rel, verdict = failures[0]
        inst.report = _report(False, rel, verdict, cand, ref, sc, sr, tried)
        inst.report.evidence["certificate"] = cert
        return inst
    ev = {"reason": "no map between the variables was found", "tried": tried,
          "candidate_objective": sc.objective, "reference_objective": sr.objective}
    if value is not None:
        inst.report = EquivalenceReport(False, "certificate", evidence={**ev, "certificate": value})
    else:
        inst.report = EquivalenceReport(None, "none", evidence=ev)
    return inst


class _Samples:
    """Optima of both models, perturbed ones computed on demand."""

    def __init__(self, cand: FlatModel, ref: FlatModel, sc: Solution, sr: Solution, clock: _Clock) -> None:
        self.models = {False: cand, True: ref}
        self.base = {False: sc, True: sr}
        self.extra: dict[bool, list[Solution] | None] = {False: None, True: None}
        self.clock = clock

    def get(self, is_ref: bool) -> list[Solution]:
        if self.extra[is_ref] is None:
            found = []
            for seed in range(1, SAMPLES):
                if self.clock.over():
                    break
                sol = perturbed_optimum(self.models[is_ref], self.base[is_ref], seed, self.clock.left())
                if sol is not None:
                    found.append(sol)
            self.extra[is_ref] = found
        return self.extra[is_ref] or []


def _verify(rel: Relation, samples: _Samples, clock: _Clock) -> Verdict:
    """Base optima both ways first (cheap rejection), then the perturbed optima."""
    checked: list[dict[str, Any]] = []
    for stage in (0, 1):
        for source_is_ref in (False, True):
            src = [samples.base[source_is_ref]] if stage == 0 else samples.get(source_is_ref)
            target = samples.models[not source_is_ref]
            for sol in src:
                verdict = check_direction(rel, samples.models[source_is_ref], target, sol,
                                          samples.base[not source_is_ref], source_is_ref, clock.left())
                if not verdict.ok:
                    verdict.evidence["sample"] = "optimum" if stage == 0 else "alternative optimum"
                    return verdict
                checked.append(verdict.evidence)
    return Verdict(True, {"checks": checked})


def _mapping(rel: Relation, cand: FlatModel, ref: FlatModel, limit: int = 100_000) -> dict[str, Any]:
    if rel.ref_expr is not None and rel.ref_off is not None:
        out: dict[str, Any] = {}
        for i, e in enumerate(rel.ref_expr[:limit]):
            out[ref.names[i]] = {"terms": {cand.names[j]: v for j, v in e.items()}, "constant": float(rel.ref_off[i])}
        return {"direction": "reference from candidate", "variables": out}
    if rel.cand_expr is not None and rel.cand_off is not None:
        out = {}
        for j, e in enumerate(rel.cand_expr[:limit]):
            out[cand.names[j]] = {"terms": {ref.names[i]: v for i, v in e.items()}, "constant": float(rel.cand_off[j])}
        return {"direction": "candidate from reference", "variables": out}
    links = [{"reference": {ref.names[i]: v for i, v in a.items()}, "candidate": {cand.names[j]: v for j, v in b.items()},
              "constant": c} for a, b, c in rel.links[:limit]]
    return {"direction": "linked combinations", "links": links}


def _report(ok: bool, rel: Relation, verdict: Verdict, cand: FlatModel, ref: FlatModel, sc: Solution,
            sr: Solution, tried: list[str]) -> EquivalenceReport:
    ev: dict[str, Any] = dict(verdict.evidence) if not ok else {"checks": len(verdict.evidence.get("checks", []))}
    ev["candidate_objective"] = sc.objective
    ev["reference_objective"] = sr.objective
    if rel.notes:
        ev["notes"] = rel.notes
    if not ok:
        ev["tried"] = tried
    return EquivalenceReport(ok, rel.method, _mapping(rel, cand, ref), ev)


def _backend(llm: Any) -> Any:
    from optcopilot.llm import make_backend

    if llm is None or isinstance(llm, str):
        return make_backend(llm)
    return llm


def _try_llm(llm: Any, samples: _Samples, cand: FlatModel, ref: FlatModel, sc: Solution, sr: Solution,
             clock: _Clock, tried: list[str]) -> EquivalenceReport | None:
    from optcopilot.equivalence.llm_map import propose
    from optcopilot.llm.base import LLMError

    try:
        backend = _backend(llm)
    except LLMError as exc:
        tried.append(f"llm unavailable: {exc}")
        return None
    rel, notes = propose(backend, cand, ref, clock.left(5.0))
    tried.append("llm")
    if rel is None:
        tried.extend(notes)
        return None
    verdict = _verify(rel, samples, clock)
    report = _report(verdict.ok, rel, verdict, cand, ref, sc, sr, tried)
    if not verdict.ok:
        report.evidence["certificate"] = point_certificate([{"method": rel.method, **verdict.evidence}], "optimal")
    return report


def _check_perturbed(candidate: Formulation, reference: Formulation, report: EquivalenceReport,
                     clock: _Clock) -> tuple[EquivalenceReport, list[_Instance]]:
    """Repeat the whole check on perturbed data; any disagreement makes the pair not equivalent."""
    from optcopilot.equivalence.perturb import perturbed_pairs, shared_parameters

    pairs = perturbed_pairs(candidate, reference, INSTANCES)
    done: list[_Instance] = []
    for seed, cand, ref in pairs:
        if clock.over():
            report.evidence["perturbed_instances"] = "time limit reached before all instances were checked"
            return report, done
        inst = _check_instance(cand, ref, clock, False)
        sub = inst.report
        if sub.equivalent is not True:
            ev = dict(sub.evidence)
            ev["instance"] = {"seed": seed, "perturbed_parameters": shared_parameters(candidate, reference)}
            failed = EquivalenceReport(False if sub.equivalent is False else None, f"{sub.method}+perturbed-data",
                                       report.mapping, ev)
            return failed, [inst]
        done.append(inst)
    if pairs:
        report.evidence["perturbed_instances"] = len(pairs)
    return report, done


def _try_fit(candidate: Formulation, reference: Formulation, cand: FlatModel, ref: FlatModel,
             clock: _Clock) -> _Instance | None:
    from optcopilot.equivalence.perturb import fit_from_instances

    rel = fit_from_instances(candidate, reference, cand, ref, clock.left())
    if rel is None:
        return None
    sc, sr = optimum(cand, clock.left()), optimum(ref, clock.left())
    samples = _Samples(cand, ref, sc, sr, clock)
    verdict = _verify(rel, samples, clock)
    if not verdict.ok:
        return None
    report, _ = _check_perturbed(candidate, reference, _report(True, rel, verdict, cand, ref, sc, sr, [rel.method]),
                                 clock)
    return _Instance(report, cand, ref, sc, sr, tried=[rel], samples=samples)


def check_with_llm_only(candidate: ModelLike, reference: ModelLike, llm: Any = None,
                        time_limit: float = 120.0) -> EquivalenceReport:
    """The EquivaMap-style method alone: the LLM proposes the map, our verifier checks it (for benchmarks)."""
    clock = _Clock(time_limit)
    cand, ref = to_flat(candidate), to_flat(reference)
    sc, sr = optimum(cand, clock.left()), optimum(ref, clock.left())
    status = _status_report(sc, sr)
    if status is not None:
        status.seconds = clock.elapsed()
        return status
    tried = []
    report = _try_llm(llm, _Samples(cand, ref, sc, sr, clock), cand, ref, sc, sr, clock, tried)
    if report is None:
        report = EquivalenceReport(None, "llm", evidence={"reason": "no usable map from the LLM", "tried": tried})
    report.seconds = clock.elapsed()
    return report


def cluster_by_equivalence(formulations: list[ModelLike], *, use_llm: bool = False, llm: Any = None,
                           time_limit: float = 30.0) -> list[list[int]]:
    """Group models into equivalence classes (greedy: compare with each class's first member)."""
    clusters: list[list[int]] = []
    flats: dict[int, FlatModel | None] = {}
    for i, f in enumerate(formulations):
        try:
            flats[i] = to_flat(f)
        except EquivalenceInputError:
            flats[i] = None
        if flats[i] is None:
            clusters.append([i])
            continue
        for cluster in clusters:
            head = cluster[0]
            if flats[head] is None:
                continue
            try:
                rep = check_equivalence(f, formulations[head], llm=llm, use_llm=use_llm, time_limit=time_limit)
            except EquivalenceInputError:
                continue
            if rep.equivalent:
                cluster.append(i)
                break
        else:
            clusters.append([i])
    return clusters
