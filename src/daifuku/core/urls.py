from django.urls import path

from daifuku.core import views

app_name = "core"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("language/", views.set_language, name="set_language"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("settings/profile/", views.settings_profile, name="settings_profile"),
    path("settings/roles/", views.settings_roles, name="settings_roles"),
    path("settings/users/", views.settings_users, name="settings_users"),
    path("settings/users/new/", views.settings_user_create, name="settings_user_create"),
    path("settings/users/<int:pk>/", views.settings_user_edit, name="settings_user_edit"),
    path("settings/users/<int:pk>/password/", views.settings_user_password, name="settings_user_password"),
]
