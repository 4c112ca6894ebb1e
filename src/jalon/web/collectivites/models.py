"""Collectivités, their members and roles, invitations by link, personal API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jalon.regles import IDENTITE_VALUES


class TypeCollectivite(models.TextChoices):
    COMMUNE = "commune", "Commune"
    EPCI = "EPCI", "EPCI"
    SYNDICAT = "syndicat", "Syndicat"
    SYNDICAT_TRAITEMENT = "syndicat_traitement", "Syndicat de traitement"


class Localisation(models.TextChoices):
    METROPOLE = "Metropole", "Métropole"
    DOM = "DOM", "DOM"


class Role(models.TextChoices):
    LECTURE = "lecture", "Lecture"
    EDITION = "edition", "Édition"
    ADMIN = "admin", "Admin"
    CONSEILLER = "conseiller", "Conseiller"
    AUDITEUR = "auditeur", "Auditeur"


# Who may change statuts, explications and answers. The auditeur reads; writing during an audit
# belongs to the audit workflow, which does not exist yet.
WRITE_ROLES = frozenset({Role.EDITION, Role.ADMIN, Role.CONSEILLER})


class Collectivite(models.Model):
    nom = models.CharField(max_length=200)
    type = models.CharField(max_length=30, choices=TypeCollectivite.choices)
    population = models.PositiveIntegerField()
    localisation = models.CharField(max_length=20, choices=Localisation.choices)
    # Under a Contrat d'Objectif Territorial: may ask for an audit alone (no star) in the parcours.
    cot = models.BooleanField("sous Contrat d'Objectif Territorial (COT)", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # A random number drawn by every write of the collectivité's state (statuts/write.py, its only
    # writer): what a process remembers of the state is kept under it.
    revision = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ("nom",)

    def __str__(self) -> str:
        return self.nom


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["user", "collectivite"], name="one_role_per_member"),)

    def __str__(self) -> str:
        return f"{self.user} @ {self.collectivite}: {self.role}"


class Invitation(models.Model):
    """A link an admin hands over (no mail server needed); stores only the token's hash. Used once, before
    ``expires_at``, and only while its creator is still an admin of the collectivité."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invitation {self.role} @ {self.collectivite}"


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored (the token is random, 256 bits)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    last_characters = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} (…{self.last_characters})"


def population_tags(population: int) -> frozenset[str]:
    """The population tags of the rules (spec §3.2): moins_de_N when N > population, plus_de_N when N <
    population, for the thresholds the rules know."""
    tags = set()
    for tag in IDENTITE_VALUES["population"]:
        kind, threshold = tag.rsplit("_", 1)
        n = int(threshold)
        if (kind == "moins_de" and n > population) or (kind == "plus_de" and n < population):
            tags.add(tag)
    return frozenset(tags)


def identite_tags(type: str, population: int, localisation: str) -> dict[str, frozenset[str]]:
    """The identity tags the personnalisation rules see."""
    return {
        "type": frozenset({type}),
        "population": population_tags(population),
        "localisation": frozenset({localisation}),
    }


def identite(collectivite: Collectivite) -> dict[str, frozenset[str]]:
    return identite_tags(collectivite.type, collectivite.population, collectivite.localisation)
