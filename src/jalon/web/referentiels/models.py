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
