"""Pages of the sales module: contracts."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
