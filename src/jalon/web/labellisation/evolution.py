"""The root score over a référentiel's jalons: the points (read from each jalon's root node only, not
its whole tree) and their chart, an SVG built here, server-side, every text escaped.

A CAE jalon's nodes are ~900 KB of JSON: the chart reads the first node of each (the root, stored
first) through the database's JSON index, never the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from types import MappingProxyType
from xml.sax.saxutils import escape, quoteattr

from jalon.labellisation import jalons as engine_jalons
from jalon.labellisation.jalons import NoeudFige, PointEvolution, evolution
from jalon.web.collectivites.models import Collectivite
from jalon.web.labellisation import models


def evolution_of(collectivite: Collectivite, referentiel_id: str) -> tuple[PointEvolution, ...]:
    """The root's shares fait and programmé at each stored jalon of the référentiel, by date."""
    rows = models.Jalon.objects.filter(collectivite=collectivite, referentiel=referentiel_id).values_list(
        "version", "nom", "genre", "le", "noeuds__0"
    )
    roots = []
    for version, nom, genre, le, root in rows:
        action_id, nom_noeud, niveau, parent, scores = root
        noeud = NoeudFige(nom_noeud, niveau, parent, MappingProxyType(scores))
        roots.append(
            engine_jalons.Jalon(
                referentiel_id,
                version,
                nom,
                engine_jalons.Genre(genre),
                le,
                MappingProxyType({action_id: noeud}),
                MappingProxyType({}),
            )
        )
    return evolution(roots)


# The chart's geometry, in SVG user units: the plot area inside margins for the axes' labels.
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 52
FAIT_COLOR, PROGRAMME_COLOR = "#1f6f43", "#b8860b"
LABEL_GAP = 64  # the width of a date « 01/06/2025 » at this font size, and some room


def _jour(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def pct(value: float) -> str:
    return f"{value:.1f}".replace(".", ",").removesuffix(",0") + " %"


def _y(value: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - max(0.0, min(100.0, value)) / 100)


def _xs(points: Sequence[PointEvolution]) -> list[float]:
    """Each point's abscissa by its date (the same date: spread evenly, in the given order)."""
    span = WIDTH - LEFT - RIGHT
    if len(points) == 1:
        return [LEFT + span / 2]
    first, last = points[0].le.toordinal(), points[-1].le.toordinal()
    if first == last:
        return [LEFT + span * i / (len(points) - 1) for i in range(len(points))]
    return [LEFT + span * (p.le.toordinal() - first) / (last - first) for p in points]


def svg(points: Sequence[PointEvolution], titre: str) -> str:
    """The chart of the root's % fait and % programmé over the jalons, by date: one marker per jalon and
    per series, each with its ``<title>`` (jalon, date, value); the whole with a title and an
    ``aria-label``. Empty string when there is no jalon. Every text escaped."""
    if not points:
        return ""
    xs = _xs(points)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="evolution" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" style="max-width: {WIDTH}px" '
        f"aria-label={quoteattr(titre)}>",
        f"<title>{escape(titre)}</title>",
    ]
    for tick in (0, 25, 50, 75, 100):
        y = _y(tick)
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd" />'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{tick} %</text>'
        )
    for serie, field, color in (
        ("fait", "pct_fait", FAIT_COLOR),
        ("programmé", "pct_programme", PROGRAMME_COLOR),
    ):
        coords = [(x, _y(getattr(p, field))) for x, p in zip(xs, points, strict=True)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        out.append(
            f'<g class="serie-{"fait" if field == "pct_fait" else "programme"}">'
            f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2" />'
        )
        for (x, y), p in zip(coords, points, strict=True):
            label = f"{p.nom}, {_jour(p.le)} : {pct(getattr(p, field))} {serie}"
            out.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}">'
                f"<title>{escape(label)}</title></circle>"
            )
        out.append("</g>")
    # A date under its points, the first and last kept inside the frame, none over its left neighbour.
    shown: float = -LABEL_GAP
    for i, (x, p) in enumerate(zip(xs, points, strict=True)):
        anchor = "start" if i == 0 else "end" if i == len(points) - 1 else "middle"
        left = x if anchor == "start" else x - LABEL_GAP if anchor == "end" else x - LABEL_GAP / 2
        if left < shown + 4 and i != len(points) - 1:
            continue
        shown = left + LABEL_GAP
        out.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="{anchor}" font-size="11">'
            f"{escape(_jour(p.le))}</text>"
        )
    legend_y = HEIGHT - 12
    out.append(
        f'<rect x="{LEFT}" y="{legend_y - 9}" width="10" height="10" fill="{FAIT_COLOR}" />'
        f'<text x="{LEFT + 14}" y="{legend_y}" font-size="11">% fait</text>'
        f'<rect x="{LEFT + 80}" y="{legend_y - 9}" width="10" height="10" fill="{PROGRAMME_COLOR}" />'
        f'<text x="{LEFT + 94}" y="{legend_y}" font-size="11">% programmé</text>'
    )
    out.append("</svg>")
    return "".join(out)
