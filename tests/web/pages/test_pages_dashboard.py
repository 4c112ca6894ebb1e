"""The dashboard's strengths and weaknesses are measured against the label's stars: a weakness holds the
next star back, an axe done at 100 % never is one."""

from __future__ import annotations

from jalon.web.pages.views import AxeBar, forts_et_faibles


def axe(identifiant: str, fait: float, potentiel: float = 10.0) -> AxeBar:
    return AxeBar(
        identifiant,
        f"Axe {identifiant}",
        fait,
        0.0,
        {"fait": fait, "programme": 0.0, "pas_fait": 0.0},
        potentiel,
    )


def ids(axes: list[AxeBar]) -> list[str]:
    return [a.identifiant for a in axes]


def test_an_axe_done_at_100_percent_is_never_a_weakness() -> None:
    forts, faibles = forts_et_faibles([axe("1", 100), axe("2", 100), axe("3", 50)], 75.0)
    assert ids(faibles) == ["3"] and ids(forts) == ["1", "2"]


def test_weaknesses_are_the_weakest_axes_below_the_next_star() -> None:
    forts, faibles = forts_et_faibles([axe("1", 60), axe("2", 10), axe("3", 40), axe("4", 30)], 50.0)
    assert ids(faibles) == ["2", "4"] and ids(forts) == ["1"]


def test_nothing_to_say_when_every_axe_reaches_the_threshold_or_none_does() -> None:
    forts, faibles = forts_et_faibles([axe("1", 80), axe("2", 90)], 75.0)
    assert faibles == [] and ids(forts) == ["2", "1"]
    forts, faibles = forts_et_faibles([axe("1", 5), axe("2", 20)], 35.0)
    assert forts == [] and ids(faibles) == ["1", "2"]


def test_an_axe_without_potentiel_is_neither_strong_nor_weak() -> None:
    forts, faibles = forts_et_faibles([axe("1", 0, potentiel=0), axe("2", 40), axe("3", 10)], 35.0)
    assert ids(faibles) == ["3"] and ids(forts) == ["2"]
