"""Pages of the sales module: forecast."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
