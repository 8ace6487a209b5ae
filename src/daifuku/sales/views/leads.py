"""Pages of the sales module: leads."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
