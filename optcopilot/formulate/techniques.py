"""Which accuracy techniques a pipeline run uses, so that each can be switched off and measured (ablation)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class Techniques:
    """The switches; the default is the full pipeline in its `fast` form (compact answers, one worked example
    per chain): since session 11, when `fast` met the issue's accuracy targets and its gain carried over to
    held-out problems (README, "Accuracy: how the embedded model is asked and checked"); `accurate` is the
    slower, more accurate form.

    - ``grammar``: GBNF-constrained decoding of the DSL (syntax errors, imports, unknown names impossible)
    - ``staged``: the five sections written one after another, each under a grammar that knows the names
      declared before it (needs a backend that continues an assistant message; else one-shot)
    - ``retrieval``: worked examples retrieved from the bank instead of two fixed ones
    - ``repairs``: a repair rewrites only the faulty section and never accepts an answer it has seen
    - ``verifiers``: numbers, copied examples, objective sense, counts and all-zero checks feed repairs
    - ``soft_repairs``: soft verifier findings (unused numbers, objective sense, ...) also ask for one repair
      (off by default: measured to cost time and turn no answer right)
    - ``second_opinion``: when the one greedy chain ends without an answer, or its answer carries a telling
      verifier finding (unused problem numbers, foreign numbers, all zero, a reversed limit or sense, a
      percentage as a number), one more chain is written from the next two retrieved worked examples; the
      answer with fewer telling findings wins, ties to the first
    - ``compact``: answers without variable descriptions and generic constraint names (``name="c1"``), in the
      worked examples, the rules and the grammar: fewer tokens to read and to write
    - ``single_example``: one retrieved worked example per chain instead of two (half the uncached prompt)
    - ``legacy``: the earlier one-shot DSL prompt and repair loop (every other switch ignored)
    """

    grammar: bool = True
    staged: bool = True
    retrieval: bool = True
    repairs: bool = True
    verifiers: bool = True
    soft_repairs: bool = False
    second_opinion: bool = True
    compact: bool = True
    single_example: bool = True
    legacy: bool = False

    def label(self) -> str:
        if self.legacy:
            return "legacy"
        on = [f.name for f in fields(self) if f.name != "legacy" and getattr(self, f.name)]
        return "+".join(on) if on else "plain"

    def to_dict(self) -> dict[str, bool]:
        return asdict(self)

    @classmethod
    def parse(cls, text: str) -> Techniques:
        """`"default"`, `"legacy"`, or a `+`-joined list of switches to turn on (`"grammar+staged"`);
        `"default-verifiers"` turns one off from the default, `"default+compact"` one on (`"fast+soft_repairs"`: one
        on over a preset)."""
        text = text.strip().lower()
        if text in ("", "default", "all"):
            return cls()
        if text == "legacy":
            return cls(legacy=True)
        if text in PRESETS:
            return replace(cls(), **PRESETS[text])
        names = {f.name for f in fields(cls)} - {"legacy"}
        head, plus, rest = text.partition("+")
        if plus and (head == "default" or head in PRESETS):  # switches on over the default or a preset
            base = replace(cls(), **PRESETS.get(head, {}))
            return replace(base, **dict.fromkeys(_known(rest.split("+"), names), True))
        if text.startswith("default-"):
            return replace(cls(), **dict.fromkeys(_known(text.removeprefix("default-").split("-"), names), False))
        on = _known([t for t in text.split("+") if t and t != "plain"], names)
        return cls(**{n: n in on for n in names})


def _known(given: list[str], names: set[str]) -> set[str]:
    """`given` as a set, or ValueError naming the unknown ones."""
    bad = set(given) - names
    if bad:
        raise ValueError(f"unknown technique(s) {', '.join(sorted(bad))}; choose from {', '.join(sorted(names))}")
    return set(given)


# named configurations over the default (`Techniques.parse`)
PRESETS: dict[str, dict[str, bool]] = {
    "fast": {"compact": True, "single_example": True},  # the default: fewer prompt and answer tokens (~40 % less time)
    "accurate": {"compact": False, "single_example": False},  # two described worked examples per chain: slower
}


# a dataset's family, by a word in its name (e.g. clean-nlp4lp, llmopt-nlp4lp, orthought-nlp4lp are all nlp4lp);
# bank entries are tagged with the family name of their source
_FAMILIES = {"nl4opt": ("nl4opt",), "nlp4lp": ("nlp4lp",), "optibench": ("optibench", "resocratic"),
             "mamo": ("mamo",), "industryor": ("industryor",), "complexor": ("complexor",)}


def excluded_sources(dataset: str) -> frozenset[str]:
    """Bank sources never shown when `dataset` is evaluated: the dataset itself and its family (other copies)."""
    name = dataset.strip().lower()
    return frozenset({name} | {family for family, words in _FAMILIES.items() if any(w in name for w in words)})
