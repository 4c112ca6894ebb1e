"""The roles as the pages name them."""

from __future__ import annotations

from jalon.web.collectivites.models import Role

# The roles as the pages name them (the stored values are codes: « edition » is not for people).
ROLE_LABELS: dict[str, str] = {
    Role.LECTURE.value: "Lecture",
    Role.EDITION.value: "Édition",
    Role.ADMIN.value: "Administration",
    Role.CONSEILLER.value: "Conseiller",
    Role.AUDITEUR.value: "Auditeur",
}


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)
