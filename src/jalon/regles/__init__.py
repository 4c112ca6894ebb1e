"""The personnalisation rule language: parse, evaluate and check the rules of a référentiel.

Usage::

    formule = parse_formule("si identite(type, EPCI) alors 8/12")
    evaluate_formule(formule, reponses={}, identite={"type": {"EPCI"}})  # 0.6666666666666666
    evaluate_consequences(loaded.personnalisations, reponses, identite)  # action id → Consequence
    check_personnalisations(loaded.personnalisations, loaded.questions)  # [] when every rule is fine
    check_reponse(loaded, "AOM_1", "peut-être")  # why the answer does not fit the question, or None
    referentiels_reading(loaded, "AOM_1")  # the référentiels whose rules read the question
"""

from jalon.regles.checker import check_personnalisations, check_regle
from jalon.regles.consequences import Consequence, apply_score_formule, evaluate_consequences
from jalon.regles.errors import FormuleError, ReponseMissing
from jalon.regles.evaluate import IDENTITE_VALUES, Reponse, Value, evaluate_formule
from jalon.regles.parser import Formule, parse_formule
from jalon.regles.reponses import check_reponse, referentiels_reading

__all__ = [
    "IDENTITE_VALUES",
    "Consequence",
    "Formule",
    "FormuleError",
    "Reponse",
    "ReponseMissing",
    "Value",
    "apply_score_formule",
    "check_personnalisations",
    "check_regle",
    "check_reponse",
    "evaluate_consequences",
    "evaluate_formule",
    "parse_formule",
    "referentiels_reading",
]
