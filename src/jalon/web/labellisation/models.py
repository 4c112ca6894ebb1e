"""What the web stores of the parcours de labellisation (docs/parcours.md, « What the web stores »): one
row per cycle of a collectivité × référentiel, its demande, audit and decision, the labels obtained
(kept across cycles), the jalons (frozen states, never updated), and the pilotes and services of the
mesures (a demande needs pilotes).

Written by ``labellisation/services.py`` alone, through the write primitive; read back into the engine's
immutable values (``jalon.labellisation.parcours``, ``jalons``)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from jalon.web.collectivites.models import Collectivite


class Etat(models.TextChoices):
    NON_DEMANDEE = "non_demandee", "Non demandée"
    DEMANDE_ENVOYEE = "demande_envoyee", "Demande envoyée"
    AUDIT_EN_COURS = "audit_en_cours", "Audit en cours"
    AUDIT_VALIDE = "audit_valide", "Audit validé"
    LABELLISEE = "labellisee", "Labellisée"
    REFUSEE = "refusee", "Refusée"


class Sujet(models.TextChoices):
    LABELLISATION = "labellisation", "Labellisation"
    COT = "cot", "Audit seul (COT)"


class StatutAudit(models.TextChoices):
    NON_AUDITE = "non_audite", "Non audité"
    EN_COURS = "en_cours", "En cours"
    AUDITE = "audite", "Audité"


class Genre(models.TextChoices):
    PRE_AUDIT = "pre_audit", "Pré-audit"
    POST_AUDIT = "post_audit", "Post-audit"
    LIBRE = "libre", "Jalon"


class Jalon(models.Model):
    """A référentiel's state frozen at a date. ``noeuds``: [[action id, nom, niveau, parent, {the 16
    score fields}], …] in the tree's reading order; ``statuts``: action id → {"avancement": [fait,
    programmé, pas fait] or null, "concerne": bool}; ``contexte``: the explications, answers and
    identity of that moment. Never updated (a free jalon's name aside)."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="jalons")
    referentiel = models.CharField(max_length=20)
    version = models.CharField(max_length=64)  # the référentiel version's digest
    nom = models.CharField(max_length=200)
    genre = models.CharField(max_length=20, choices=Genre.choices)
    le = models.DateField()
    par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    noeuds = models.JSONField(encoder=DjangoJSONEncoder)
    statuts = models.JSONField(encoder=DjangoJSONEncoder)
    contexte = models.JSONField(encoder=DjangoJSONEncoder, default=dict)

    class Meta:
        ordering = ("le", "id")
        indexes = (models.Index(fields=["collectivite", "referentiel"], name="jalons_of_referentiel"),)

    def __str__(self) -> str:
        return f"{self.nom} ({self.referentiel}, {self.le})"


class Cycle(models.Model):
    """One cycle of the parcours. ``courant``: the latest cycle, the only one ever written; a partial
    unique constraint keeps one per collectivité × référentiel."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="cycles")
    referentiel = models.CharField(max_length=20)
    cycle = models.PositiveIntegerField()
    courant = models.BooleanField(default=True)
    etat = models.CharField(max_length=20, choices=Etat.choices, default=Etat.NON_DEMANDEE)
    maj_le = models.DateField(null=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["collectivite", "referentiel", "cycle"], name="one_row_per_parcours_cycle"
            ),
            models.UniqueConstraint(
                fields=["collectivite", "referentiel"],
                condition=models.Q(courant=True),
                name="one_current_parcours_cycle",
            ),
        )

    def __str__(self) -> str:
        return f"{self.collectivite} {self.referentiel} cycle {self.cycle}: {self.etat}"


class Demande(models.Model):
    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="demande")
    etoile = models.PositiveSmallIntegerField(null=True)  # None for an audit only (COT)
    sujet = models.CharField(max_length=20, choices=Sujet.choices)
    envoyee_le = models.DateField()
    par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    audit_requis = models.BooleanField()
    document = models.URLField(max_length=500, blank=True)  # a link until the preuves bring files

    def __str__(self) -> str:
        return f"demande {self.sujet} {self.etoile or ''}"


class Audit(models.Model):
    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="audit")
    auditeurs = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="audits", blank=True)
    debut = models.DateField(null=True)
    fin = models.DateField(null=True)
    pre_audit = models.ForeignKey(Jalon, null=True, on_delete=models.PROTECT, related_name="+")
    post_audit = models.ForeignKey(Jalon, null=True, on_delete=models.PROTECT, related_name="+")
    rapport = models.URLField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"audit du {self.cycle}"


class AuditMesure(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="mesures")
    mesure = models.CharField(max_length=100)
    statut = models.CharField(max_length=20, choices=StatutAudit.choices, default=StatutAudit.NON_AUDITE)
    avis = models.TextField(blank=True)
    ordre_du_jour = models.BooleanField(default=False)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["audit", "mesure"], name="one_audit_note_per_mesure"),)

    def __str__(self) -> str:
        return f"{self.mesure}: {self.statut}"


class Decision(models.Model):
    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="decision")
    le = models.DateField()
    obtenu = models.BooleanField()
    par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The jalon the commission judged when there was no audit (the 1st star); the post-audit one otherwise.
    jalon = models.ForeignKey(Jalon, null=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"décision du {self.le}: {'obtenu' if self.obtenu else 'refusé'}"


class Label(models.Model):
    """A label obtained, kept across cycles (the 4-year rule reads them all)."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="labels")
    referentiel = models.CharField(max_length=20)
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="labels")
    etoile = models.PositiveSmallIntegerField()
    obtenu_le = models.DateField()
    fin_validite = models.DateField()  # the first day it is no longer valid
    pct_fait = models.DecimalField(max_digits=4, decimal_places=1)
    pct_programme = models.DecimalField(max_digits=4, decimal_places=1)

    class Meta:
        ordering = ("obtenu_le", "id")

    def __str__(self) -> str:
        return f"{self.referentiel} {self.etoile} étoile(s) le {self.obtenu_le}"


class Pilote(models.Model):
    """A person who pilots an action: a member (``user``, ``nom`` empty) or a named person who is not
    one (``nom``, an optional ``email``). Put on the mesures (and their sous-mesures) by the mesure
    page; a demande with an audit needs pilotes on the actions the criteria file names (a pilote of an
    action counts for what is below it)."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="pilotes")
    action_id = models.CharField(max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    nom = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)

    class Meta:
        ordering = ("id",)
        constraints = (
            models.UniqueConstraint(
                fields=["collectivite", "action_id", "nom"],
                condition=models.Q(user__isnull=True),
                name="one_pilote_name_per_action",
            ),
            models.UniqueConstraint(
                fields=["collectivite", "action_id", "user"],
                condition=models.Q(user__isnull=False),
                name="one_member_pilote_per_action",
            ),
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False) & models.Q(nom="") & models.Q(email=""))
                | (models.Q(user__isnull=True) & ~models.Q(nom="")),
                name="pilote_member_or_named",
            ),
        )

    def __str__(self) -> str:
        return f"{self.nom or self.user_id} ({self.action_id})"


class Service(models.Model):
    """A service of the collectivité (« Service environnement »), named once and put on any mesure."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="services")
    nom = models.CharField(max_length=200)

    class Meta:
        ordering = ("nom", "id")
        constraints = (models.UniqueConstraint(fields=["collectivite", "nom"], name="one_service_name"),)

    def __str__(self) -> str:
        return self.nom


class ServiceAction(models.Model):
    """A service put on an action (a mesure or a sous-mesure)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="actions")
    action_id = models.CharField(max_length=100)

    class Meta:
        ordering = ("id",)
        constraints = (
            models.UniqueConstraint(fields=["service", "action_id"], name="one_service_per_action"),
        )

    def __str__(self) -> str:
        return f"{self.service_id} ({self.action_id})"
