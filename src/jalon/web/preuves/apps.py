from __future__ import annotations

from django.apps import AppConfig


class PreuvesConfig(AppConfig):
    name = "jalon.web.preuves"
    label = "preuves"
