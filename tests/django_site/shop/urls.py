from django.urls import path

from shop import views

urlpatterns = [
    path("cpu/", views.cpu_view),
    path("sql/", views.sql_view),
    path("crunch/", views.crunch_view),
    path("fast/", views.fast_view),
]
