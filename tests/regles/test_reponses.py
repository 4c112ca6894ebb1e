"""The answer check shared by scenario files and the web: one French message per way an answer is wrong."""

from __future__ import annotations

import pytest

from jalon.loading import load
from jalon.referentiel.model import Referentiels
from jalon.regles import Reponse, check_reponse, referentiels_reading
from tests.conftest import REFERENTIELS
from tests.regles.test_checker import QUESTIONS

LOADED = Referentiels(referentiels={}, questions=QUESTIONS)
PROPORTION = "ne convient pas : attendu une proportion, un nombre entre 0 et 1"


@pytest.mark.parametrize(
    ("question_id", "answer"),
    [("AOM_1", "OUI"), ("AOM_1", "NON"), ("voirie_1", "voirie_1_b"), ("AOM_2", 0.0), ("AOM_2", 1.0)],
)
def test_a_fitting_answer_has_nothing_said_about_it(question_id: str, answer: Reponse) -> None:
    assert check_reponse(LOADED, question_id, answer) is None


@pytest.mark.parametrize(
    ("question_id", "answer", "message"),
    [
        ("inconnue", "OUI", "question inconnue dans les référentiels chargés"),
        ("AOM_1", "oui", "la réponse « oui » ne convient pas : attendu OUI ou NON (question binaire)"),
        ("AOM_1", True, "la réponse « VRAI » ne convient pas : attendu OUI ou NON (question binaire)"),
        (
            "voirie_1",
            "voirie_1_d",
            "la réponse « voirie_1_d » ne convient pas : attendu l'un des choix voirie_1_a, voirie_1_b, "
            "voirie_1_c",
        ),
        ("AOM_2", 1.5, f"la réponse « 1.5 » {PROPORTION}"),
        ("AOM_2", 2.0, f"la réponse « 2 » {PROPORTION}"),
        ("AOM_2", "OUI", f"la réponse « OUI » {PROPORTION}"),
        ("AOM_2", float("nan"), f"la réponse « nan » {PROPORTION}"),
    ],
)
def test_a_wrong_answer_is_told_in_french_with_what_was_expected(
    question_id: str, answer: Reponse, message: str
) -> None:
    assert check_reponse(LOADED, question_id, answer) == message


def test_a_question_belongs_to_the_referentiels_whose_rules_read_it() -> None:
    """On the official rules: the déchets questions are read by rules of both CAE and ECI (an audit of
    either locks their answers); a question no rule reads belongs to none."""
    loaded = load(REFERENTIELS)
    assert referentiels_reading(loaded, "dechets_1") == {"cae", "eci"}
    assert referentiels_reading(loaded, "potentiel_eolien_ou_hydro") == frozenset()
    read_by = {q: referentiels_reading(loaded, q) for q in loaded.questions}
    assert all(refs <= {"cae", "eci"} for refs in read_by.values())
    assert sum(len(refs) == 1 for refs in read_by.values()) > 40
