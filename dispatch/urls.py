from django.urls import path

from dispatch.views import board

app_name = "dispatch"

urlpatterns = [
    path("", board.board, name="board"),
]
