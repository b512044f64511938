from django.urls import path

from shop import views

urlpatterns = [
    path("cpu/", views.cpu_view),
    path("sql/", views.sql_view),
    path("crunch/", views.crunch_view),
    path("fast/", views.fast_view),
    # --by-request (tests/integration/test_by_request_servers.py)
    path("orders/<int:pk>/", views.order_detail),
    path("search/", views.search),
]
