from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from jalon.web.pages import views

urlpatterns = [
    path("connexion/", auth_views.LoginView.as_view(template_name="pages/login.html"), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("c/<int:collectivite_id>/", views.dashboard, name="dashboard"),
    path("c/<int:collectivite_id>/<str:referentiel_id>/", views.tree, name="tree"),
    path("c/<int:collectivite_id>/action/<str:action_id>/", views.mesure, name="mesure"),
]
