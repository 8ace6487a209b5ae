"""Navigation entries of the sales module (leads, deal board, quotes, contracts, forecast)."""

from django.utils.translation import gettext_lazy as _

from daifuku.web.nav import NavItem, register

__all__ = ["NavItem", "_", "register"]
