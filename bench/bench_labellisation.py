"""Benchmark of the labellisation checklist on the official CAE (not a test: it prints figures).

    python bench/bench_labellisation.py --referentiels ../shared/referentiels \
        --criteres ../shared/labellisation/criteres.yml [--yardstick ../shared/bench/yardstick.py]

State: a realistic collectivité (an EPCI, half the tâches with a statut, a few sous-mesures with their
own, every question answered). Measured: building the checklist from the référentiel's scores and the
statuts (what the dashboard does per référentiel once the scores are stored), and the same plus the
full evaluation of the scores. Times are medians in ms and multiples of the shared yardstick, measured
as bench_engine.py measures (batches alternated with the yardstick's, the median of their ratios).
Target: under 5 ms.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from bench_engine import Yardstick, all_answers, load_yardstick, realistic_statuts
from jalon.evaluation import evaluate_state
from jalon.labellisation.checklist import checklist
from jalon.loading import load
from jalon.scores.statuts import FAIT, NON_CONCERNE, PAS_FAIT, PROGRAMME, Statut

TARGET_MS = 5.0
IDENTITE = {
    "type": frozenset({"EPCI"}),
    "population": frozenset({"plus_de_20000", "moins_de_50000", "moins_de_100000"}),
    "localisation": frozenset({"Metropole"}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--referentiels", type=Path, required=True)
    parser.add_argument("--criteres", type=Path, required=True)
    parser.add_argument("--yardstick", type=Path, default=Path("../shared/bench/yardstick.py"))
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()

    yardstick = Yardstick(load_yardstick(args.yardstick), args.rounds)
    loaded = load(args.referentiels, args.criteres)
    rng = random.Random(10)
    cae = loaded.referentiels["cae"]
    statuts = realistic_statuts(loaded, "cae", rng)
    # A few sous-mesures with a statut of their own: the criteria then read their ratios.
    choices = [FAIT, FAIT, PROGRAMME, PAS_FAIT, Statut.detaille(0.5, 0.3, 0.2), NON_CONCERNE]
    sous_mesures = [a.id for a in cae.actions.values() if a.depth == cae.action_level + 1]
    statuts.update({a: rng.choice(choices) for a in rng.sample(sous_mesures, 20)})
    reponses = all_answers(loaded, rng)
    scores = evaluate_state(loaded, IDENTITE, reponses, statuts)
    found = checklist(loaded, "cae", scores, statuts)

    build = yardstick.measure(lambda: checklist(loaded, "cae", scores, statuts))
    with_scores = yardstick.measure(
        lambda: checklist(loaded, "cae", evaluate_state(loaded, IDENTITE, reponses, statuts), statuts)
    )
    print(
        f"CAE: {len(cae.actions)} nodes, {len(statuts)} statuts; checklist: fait {found.fait:.3f}, "
        f"etoile_score {found.etoile_score}, complétude {found.completude:.3f}, "
        f"{len(found.criteres)} critères ({len(found.manquants)} non atteints)"
    )
    print(f"  yardstick (same process):                  {build.yardstick_ms:.3f} ms")
    print(
        f"  checklist from stored scores:              {build.ms:.3f} ms = {build.ratio:.3f}x the yardstick "
        f"({'under' if build.ms < TARGET_MS else 'OVER'} the {TARGET_MS:g} ms target)"
    )
    print(
        f"  checklist with a full evaluation (CAE+ECI): {with_scores.ms:.3f} ms = {with_scores.ratio:.3f}x "
        "the yardstick"
    )


if __name__ == "__main__":
    main()
