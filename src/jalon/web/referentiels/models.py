"""Imported référentiel versions: immutable once written."""

from __future__ import annotations

from typing import Any

from django.db import models


class ReferentielVersion(models.Model):
    """One import of a référentiel folder. Its files are kept so the version can be reloaded as it was."""

    digest = models.CharField(max_length=64, db_index=True)
    source = models.CharField(max_length=500)
    files = models.JSONField()  # relative path → text
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return f"version {self.pk} ({self.digest[:12]})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("a référentiel version is immutable")
        super().save(*args, **kwargs)


class ActionDefinition(models.Model):
    """One node of a référentiel in a version; collectivité data points at ``action_id``."""

    version = models.ForeignKey(ReferentielVersion, on_delete=models.CASCADE, related_name="actions")
    action_id = models.CharField(max_length=100)
    referentiel = models.CharField(max_length=20)
    identifiant = models.CharField(max_length=100, blank=True)
    nom = models.TextField()
    parent_id = models.CharField(max_length=100, null=True, blank=True)
    depth = models.PositiveSmallIntegerField()
    points = models.FloatField()
    categorie = models.CharField(max_length=50, blank=True)
    position = models.PositiveIntegerField()  # order of the référentiel, parents before children

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["version", "action_id"], name="unique_action_per_version"),
        )
        ordering = ("position",)

    def __str__(self) -> str:
        return self.action_id


class QuestionDefinition(models.Model):
    version = models.ForeignKey(ReferentielVersion, on_delete=models.CASCADE, related_name="questions")
    question_id = models.CharField(max_length=100)
    type = models.CharField(max_length=20)
    formulation = models.TextField()
    thematique_id = models.CharField(max_length=100, blank=True)
    choix = models.JSONField(default=list)  # [[id, formulation], …]
    action_ids = models.JSONField(default=list)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["version", "question_id"], name="unique_question_per_version"),
        )

    def __str__(self) -> str:
        return self.question_id
