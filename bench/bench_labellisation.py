"""Benchmark of the labellisation checklist on the official CAE (not a test: it prints figures).

    python bench/bench_labellisation.py --referentiels ../shared/referentiels \
        --criteres ../shared/labellisation/criteres.yml [--yardstick ../shared/bench/yardstick.py]

State: a realistic collectivité (an EPCI, half the tâches with a statut, a few sous-mesures with their
own, every question answered). Measured: building the checklist from the référentiel's scores and the
statuts (what the dashboard does per référentiel once the scores are stored), and the same plus the
full evaluation of the scores. Times are medians in ms and multiples of the shared yardstick, timed
in the same process, interleaved, so that the ratio holds on a noisy machine. Target: under 5 ms.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from jalon.evaluation import evaluate_state
from jalon.labellisation.checklist import checklist
from jalon.loading import load
from jalon.regles.evaluate import Reponse
from jalon.scores.statuts import FAIT, NON_CONCERNE, PAS_FAIT, PROGRAMME, Statut

TARGET_MS = 5.0
IDENTITE = {
    "type": frozenset({"EPCI"}),
    "population": frozenset({"plus_de_20000", "moins_de_50000", "moins_de_100000"}),
    "localisation": frozenset({"Metropole"}),
}


def interleaved_medians(
    run: Callable[[], object], yardstick: Callable[[], object], rounds: int, inner: int
) -> tuple[float, float]:
    """Median ms of ``run`` and of ``yardstick``, alternated round by round (``inner`` runs each)."""
    ours, theirs = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(inner):
            run()
        ours.append((time.perf_counter() - start) * 1000 / inner)
        start = time.perf_counter()
        yardstick()
        theirs.append((time.perf_counter() - start) * 1000)
    return statistics.median(ours), statistics.median(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--referentiels", type=Path, required=True)
    parser.add_argument("--criteres", type=Path, required=True)
    parser.add_argument("--yardstick", type=Path, default=Path("../shared/bench/yardstick.py"))
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()

    spec = importlib.util.spec_from_file_location("yardstick", args.yardstick)
    assert spec is not None and spec.loader is not None
    yardstick = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(yardstick)

    loaded = load(args.referentiels, args.criteres)
    rng = random.Random(10)
    cae = loaded.referentiels["cae"]
    taches = [a.id for a in cae.actions.values() if a.is_leaf]
    choices = [FAIT, FAIT, PROGRAMME, PAS_FAIT, Statut.detaille(0.5, 0.3, 0.2), NON_CONCERNE]
    statuts = {a: rng.choice(choices) for a in rng.sample(taches, len(taches) // 2)}
    sous_mesures = [a.id for a in cae.actions.values() if a.depth == cae.action_level + 1]
    statuts.update({a: rng.choice(choices) for a in rng.sample(sous_mesures, 20)})
    reponses: dict[str, Reponse] = {}
    for q in loaded.questions.values():
        if q.type == "binaire":
            reponses[q.id] = rng.choice(["OUI", "NON"])
        elif q.type == "choix":
            reponses[q.id] = rng.choice([c.id for c in q.choix])
        else:
            reponses[q.id] = rng.choice([0.2, 0.5, 0.8])
    scores = evaluate_state(loaded, IDENTITE, reponses, statuts)
    found = checklist(loaded, "cae", scores, statuts)

    build, stick = interleaved_medians(
        lambda: checklist(loaded, "cae", scores, statuts), yardstick.workload, args.rounds, 20
    )
    with_scores, stick2 = interleaved_medians(
        lambda: checklist(loaded, "cae", evaluate_state(loaded, IDENTITE, reponses, statuts), statuts),
        yardstick.workload,
        args.rounds // 3,
        3,
    )
    print(
        f"CAE: {len(cae.actions)} nodes, {len(statuts)} statuts; checklist: fait {found.fait:.3f}, "
        f"etoile_score {found.etoile_score}, complétude {found.completude:.3f}, "
        f"{len(found.criteres)} critères ({len(found.manquants)} non atteints)"
    )
    print(f"  yardstick (same process):                  {stick:.3f} ms")
    print(
        f"  checklist from stored scores:              {build:.3f} ms = {build / stick:.3f}x the yardstick "
        f"({'under' if build < TARGET_MS else 'OVER'} the {TARGET_MS:g} ms target)"
    )
    print(
        f"  checklist with a full evaluation (CAE+ECI): {with_scores:.3f} ms = {with_scores / stick2:.3f}x "
        "the yardstick"
    )


if __name__ == "__main__":
    main()
