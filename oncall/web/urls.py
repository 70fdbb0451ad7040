"""The lower layer's web pages; the project's urls.py includes these at the root."""

app_name = "oncall"

urlpatterns: list = []
