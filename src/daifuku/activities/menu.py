"""Navigation entries of the activities module (timeline, tasks, calendar, daily reports, dashboard)."""

from django.utils.translation import gettext_lazy as _

from daifuku.web.nav import NavItem, register

__all__ = ["NavItem", "_", "register"]

# Calendar, daily reports and the activity dashboard (views_calendar / urls_calendar).
register(
    NavItem(
        label=_("カレンダー"), url_name="activities:calendar", active_prefix="activities:calendar", order=40
    )
)
register(
    NavItem(label=_("日報"), url_name="activities:report_index", active_prefix="activities:report_", order=50)
)
register(
    NavItem(
        label=_("活動管理"),
        url_name="activities:dashboard",
        active_prefix="activities:dashboard",
        order=60,
        group="sales",
    )
)

# Activities (timeline, quick log) and "my day" (tasks) — views / urls_work.
register(NavItem(label=_("今日"), url_name="activities:my_day", active_prefix="activities:my_day", order=25))
register(
    NavItem(
        label=_("活動"), url_name="activities:activity_list", active_prefix="activities:activity_", order=30
    )
)
