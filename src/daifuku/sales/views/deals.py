"""Pages of the sales module: deals."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
