"""Discussion threads per action: a collectivité's members talk about a mesure, a sous-mesure or a tâche."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jalon.web.collectivites.models import Collectivite


class Etat(models.TextChoices):
    OUVERTE = "ouverte", "Ouverte"
    FERMEE = "fermee", "Fermée"


class Discussion(models.Model):
    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="discussions")
    action_id = models.CharField(max_length=100, db_index=True)
    etat = models.CharField(max_length=10, choices=Etat.choices, default=Etat.OUVERTE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"discussion {self.pk} sur {self.action_id} ({self.etat})"


class Commentaire(models.Model):
    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="commentaires")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    texte = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"commentaire {self.pk} de la discussion {self.discussion_id}"
