"""A collectivité's statuts, explications and answers, their history, and its stored scores."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from jalon.web.collectivites.models import Collectivite
from jalon.web.referentiels.models import ReferentielVersion


class Avancement(models.TextChoices):
    FAIT = "fait", "Fait"
    PROGRAMME = "programme", "Programmé"
    PAS_FAIT = "pas_fait", "Pas fait"
    DETAILLE = "detaille", "Détaillé"
    NON_CONCERNE = "non_concerne", "Non concerné"


class StatutRecord(models.Model):
    """The statut of one sous-mesure or tâche; no row means non renseigné."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="statuts")
    action_id = models.CharField(max_length=100)
    referentiel = models.CharField(max_length=20)
    avancement = models.CharField(max_length=20, choices=Avancement.choices)
    # Détaillé only: percentages, multiples of 5, summing to 100.
    pourcentage_fait = models.PositiveSmallIntegerField(null=True, blank=True)
    pourcentage_programme = models.PositiveSmallIntegerField(null=True, blank=True)
    pourcentage_pas_fait = models.PositiveSmallIntegerField(null=True, blank=True)
    modified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["collectivite", "action_id"], name="one_statut_per_action"),
        )

    def __str__(self) -> str:
        return f"{self.action_id}: {self.avancement}"


class Explication(models.Model):
    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="explications")
    action_id = models.CharField(max_length=100)
    texte = models.TextField()
    modified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["collectivite", "action_id"], name="one_explication_per_action"),
        )

    def __str__(self) -> str:
        return self.action_id


class Reponse(models.Model):
    """An answer to a personnalisation question (OUI/NON, a choice id, or a proportion)."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="reponses")
    question_id = models.CharField(max_length=100)
    valeur = models.JSONField(null=True)
    justification = models.TextField(blank=True)
    modified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["collectivite", "question_id"], name="one_reponse_per_question"),
        )

    def __str__(self) -> str:
        return f"{self.question_id}: {self.valeur}"


class Kind(models.TextChoices):
    STATUT = "statut", "Statut"
    EXPLICATION = "explication", "Explication"
    REPONSE = "reponse", "Réponse"
    JUSTIFICATION = "justification", "Justification"
    # type, population, localisation: the identity tags the rules see, needed to replay past scores
    IDENTITE = "identite", "Identité"
    # The name and the members' roles change no score: their own kinds, which the replay skips.
    NOM = "nom", "Nom"
    COT = "cot", "Contrat d'Objectif Territorial"
    MEMBRE = "membre", "Membre"  # subject: the username; previous / new: the role, None when not a member
    # The parcours de labellisation change no score either (subject: « parcours <référentiel> »,
    # « jalon <référentiel> », « pilote <action id> »); previous / new: what the transition changed.
    PARCOURS = "parcours", "Parcours de labellisation"
    JALON = "jalon", "Jalon"
    PILOTE = "pilote", "Pilote"
    # subject « service <action id> » (put on, taken off an action) or « service » (created)
    SERVICE = "service", "Service"
    # The bibliothèque (preuves/services.py): « document <id> » (added, deleted; the title) or
    # « document <id> <action or preuve id> » (attached, detached).
    DOCUMENT = "document", "Document"


class HistoryEntry(models.Model):
    """One change: who, when, what (an action or a question id, ``identite``, ``nom`` or a member's
    username), the previous and the new value."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=100, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    previous = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    new = models.JSONField(null=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ("-at", "-id")
        verbose_name_plural = "history entries"
        indexes = (models.Index(fields=["collectivite", "id"], name="history_since"),)

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}"


class ScoreSet(models.Model):
    """The stored scores of one référentiel for one collectivité, scored with a référentiel version: one
    ``ScoreNode`` per action, of which every write rewrites only those whose scores moved (never
    stale). Written by ``statuts/write.py`` alone."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="scores")
    referentiel = models.CharField(max_length=20)
    version = models.ForeignKey(ReferentielVersion, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["collectivite", "referentiel"], name="one_score_set_per_referentiel"
            ),
        )

    def __str__(self) -> str:
        return f"{self.collectivite} {self.referentiel}"

    @property
    def scores(self) -> dict[str, dict[str, Any]]:
        """Action id → the engine's 16 fields, as stored."""
        return dict(ScoreNode.objects.filter(score_set=self).values_list("action_id", "data"))


class ScoreNode(models.Model):
    """The stored scores of one action (the engine's 16 rounded fields)."""

    score_set = models.ForeignKey(ScoreSet, on_delete=models.CASCADE, related_name="nodes")
    action_id = models.CharField(max_length=50)
    data = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["score_set", "action_id"], name="one_score_per_action"),
        )

    def __str__(self) -> str:
        return self.action_id


class Verrou(models.Model):
    """Who alone changes a référentiel's statuts, explications and answers now (the assigned auditors
    of an audit en cours), and why (French, shown beside the locked controls). No row: the members'
    roles decide. Part of the collectivité's state: written by ``statuts/write.py`` alone (the parcours'
    transitions set and remove it), read under the collectivité's lock by every write."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="verrous")
    referentiel = models.CharField(max_length=20)
    auteurs = models.JSONField()  # the user ids allowed to write, sorted
    motif = models.TextField()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["collectivite", "referentiel"], name="one_verrou_per_referentiel"
            ),
        )

    def __str__(self) -> str:
        return f"{self.collectivite_id} {self.referentiel}"
