"""The collectivités app: connects the history of members to the deletion of a person."""

from __future__ import annotations

from django.apps import AppConfig


class CollectivitesConfig(AppConfig):
    name = "jalon.web.collectivites"
    label = "collectivites"

    def ready(self) -> None:
        from django.contrib.auth.models import User
        from django.db.models.signals import pre_delete

        from jalon.web.collectivites.services import record_removals_of_deleted_user

        # A person deleted (in the admin, or a shell) leaves every collectivité they belonged to: the
        # cascade would delete their memberships without a word in the history.
        pre_delete.connect(record_removals_of_deleted_user, sender=User, dispatch_uid="jalon_member_deleted")
