from daifuku.activities import urls_calendar, urls_work

app_name = "activities"
urlpatterns = [*urls_work.urlpatterns, *urls_calendar.urlpatterns]
