"""Pages of the sales module: quotes."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
