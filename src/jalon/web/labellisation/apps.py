"""The parcours de labellisation of the collectivités: storage, services and what the pages ask of it."""

from __future__ import annotations

from django.apps import AppConfig


class LabellisationConfig(AppConfig):
    name = "jalon.web.labellisation"
    label = "labellisation"
