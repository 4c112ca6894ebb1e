"""The bibliothèque's tables: a collectivité's documents and what they are attached to."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jalon.web.collectivites.models import Collectivite


class Document(models.Model):
    """A file (its content stored once per sha256, ``files.py``) or a link (``url``) of a collectivité."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    comment = models.TextField(blank=True)
    url = models.URLField(max_length=2000, blank=True)  # a link; "" for a file
    name = models.CharField(max_length=255, blank=True)  # the file's original name, sanitized
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)  # "" for a link
    size = models.BigIntegerField(default=0)
    mime = models.CharField(max_length=100, blank=True)  # sniffed from the content
    confidentiel = models.BooleanField(default=False)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    added_at = models.DateTimeField()

    class Meta:
        ordering = ("-added_at", "-id")

    @property
    def is_link(self) -> bool:
        return not self.sha256

    def __str__(self) -> str:
        return self.title


class Target(models.TextChoices):
    ACTION = "action", "Action"  # a mesure, sous-mesure or tâche
    PREUVE = "preuve", "Preuve réglementaire"


class Attachment(models.Model):
    """A document attached to an action or to a preuve réglementaire (by its référentiel id)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    target = models.CharField(max_length=10, choices=Target.choices)
    target_id = models.CharField(max_length=100)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("document", "target", "target_id"), name="one_attachment"),
        )
        indexes = (models.Index(fields=["target", "target_id"], name="attachment_target"),)

    def __str__(self) -> str:
        return f"{self.target} {self.target_id}"
