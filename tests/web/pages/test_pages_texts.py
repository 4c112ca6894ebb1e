"""The référentiel texts on the pages: their Markdown and inline HTML go through an allow-list sanitizer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import jalon
from jalon.web.pages.common import markdown, sections

LINK = re.compile(r'<a href="\s*(?:https?|mailto):[^"]+"')


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">lien</a>',
        '<a href="JaVaScRiPt:alert(1)">lien</a>',
        '<a href="  javascript:alert(1)">lien</a>',
        '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">lien</a>',
        "[lien](javascript:alert(1))",
        '<a href="https://exemple.fr" onclick="alert(1)" style="color:red">lien</a>',
        '<p onmouseover="alert(1)">texte</p>',
        "<iframe src=\"https://exemple.fr\"></iframe><object data='x'></object><svg onload=alert(1)>",
        '<div><style>body{display:none}</style><form action="/x"><input name="y"></form></div>',
    ],
)
def test_hostile_html_in_a_referentiel_text_is_dropped(hostile: str) -> None:
    html = markdown(f"Avant {hostile} après").lower()
    for forbidden in ("<script", "onerror", "onclick", "onmouseover", "onload", "javascript:", "data:"):
        assert forbidden not in html.replace("[lien](javascript:alert(1))", "")
    for forbidden in ("<img", "<iframe", "<object", "<svg", "<style", "<form", "<input", "style="):
        assert forbidden not in html
    assert "avant" in html and "après" in html


def test_allowed_html_and_markdown_render_with_safe_links() -> None:
    html = markdown(
        "**gras** *italique* <i>titre</i> m<sup>3</sup>\n\n- un\n- deux\n\n"
        '<a href="https://exemple.fr/a?b=1&c=2" target="_top">Exemple</a> '
        '[courriel](mailto:contact@exemple.fr) <a href="/chemin/relatif">relatif</a>'
    )
    assert "<strong>gras</strong>" in html and "<em>italique</em>" in html and "<i>titre</i>" in html
    assert "m<sup>3</sup>" in html and "<ul>\n<li>un</li>" in html
    assert '<a href="https://exemple.fr/a?b=1&amp;c=2" rel="noopener noreferrer">Exemple</a>' in html
    assert '<a href="mailto:contact@exemple.fr" rel="noopener noreferrer">courriel</a>' in html
    # A relative link would point at the official platform's pages: its address is dropped.
    assert "/chemin/relatif" not in html and "target" not in html


def test_text_that_only_looks_like_a_tag_stays_text() -> None:
    # From the official CAE 1.3.3: « Cep<RT2012-20% ».
    assert "Cep&lt;RT2012-20%" in markdown("nb de maisons avec Cep<RT2012-20%, statistique")


def test_a_link_without_text_shows_its_address() -> None:
    # The official CAE 3.3.4 writes one link as <a href="…"https://…></a>.
    url = "https://librairie.ademe.fr/urbanisme-et-batiment/1170-amenager.html"
    html = markdown(f'Guide : <a href="{url}"{url}></a>')
    assert f'<a href="{url}" rel="noopener noreferrer">{url}</a>' in html and "&lt;a" not in html


def test_official_contexte_of_6_1_1_shows_its_links(referentiels_dir: Path) -> None:
    action = jalon.load(referentiels_dir).action("cae_6.1.1")
    assert '<a href="https://www.diplomatie.gouv.fr">' in action.sections["contexte"]
    shown = dict(sections(action.sections))
    contexte = shown["Contexte"]
    assert (
        '<a href="https://www.diplomatie.gouv.fr" rel="noopener noreferrer">https://www.diplomatie.gouv.fr</a>'
        in contexte
    )
    assert "&lt;a" not in "".join(html for html in shown.values())


def test_every_official_text_keeps_its_links(referentiels_dir: Path) -> None:
    loaded = jalon.load(referentiels_dir)
    written = 0
    for referentiel in loaded.referentiels.values():
        for action in referentiel.actions.values():
            for text in action.sections.values():
                html = markdown(text)
                # Every <a> written is a link on the page (Markdown's own [x](…) links add to them).
                assert len(LINK.findall(html)) >= text.count("<a "), action.id
                assert "&lt;a " not in html and "&lt;/a&gt;" not in html, action.id
                written += text.count("<a ")
    assert written > 700
