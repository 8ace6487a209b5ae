"""Navigation entries of the product catalog."""

from django.utils.translation import gettext_lazy as _

from daifuku.web.nav import NavItem, register

__all__ = ["NavItem", "_", "register"]
