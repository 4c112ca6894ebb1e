from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from jalon.web.pages import (
    bibliotheque,
    creation,
    discussions,
    historique,
    labellisation,
    membres,
    mesure,
    parametres,
    questionnaire,
    views,
)

urlpatterns = [
    path("connexion/", auth_views.LoginView.as_view(template_name="pages/login.html"), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("static/<path:path>", views.static, name="static"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("jetons/", membres.jetons, name="jetons"),
    path("invitation/<str:token>/", membres.invitation, name="invitation"),
    path("", views.home, name="home"),
    path("collectivites/nouvelle/", creation.creation, name="creation"),
    path("c/<int:collectivite_id>/", views.dashboard, name="dashboard"),
    # Before the référentiel tree, whose id would otherwise match these words.
    path("c/<int:collectivite_id>/questionnaire/", questionnaire.questionnaire, name="questionnaire"),
    path("c/<int:collectivite_id>/discussions/", discussions.discussions, name="discussions"),
    path(
        "c/<int:collectivite_id>/discussions/<int:discussion_id>/", discussions.discussion, name="discussion"
    ),
    path("c/<int:collectivite_id>/membres/", membres.membres, name="membres"),
    path("c/<int:collectivite_id>/bibliotheque/", bibliotheque.bibliotheque, name="bibliotheque"),
    path(
        "c/<int:collectivite_id>/bibliotheque/<int:document_id>/fichier/",
        bibliotheque.fichier,
        name="bibliotheque_fichier",
    ),
    path(
        "c/<int:collectivite_id>/bibliotheque/archive/<str:referentiel_id>/",
        bibliotheque.archive,
        name="bibliotheque_archive",
    ),
    path("c/<int:collectivite_id>/parametres/", parametres.parametres, name="parametres"),
    path("c/<int:collectivite_id>/historique/", historique.historique, name="historique"),
    path("c/<int:collectivite_id>/labellisation/", labellisation.labellisation, name="labellisation"),
    path("c/<int:collectivite_id>/historique/scores/", historique.scores_date, name="scores_date"),
    path("c/<int:collectivite_id>/action/<str:action_id>/", mesure.mesure, name="mesure"),
    path("c/<int:collectivite_id>/<str:referentiel_id>/", views.tree, name="tree"),
]
