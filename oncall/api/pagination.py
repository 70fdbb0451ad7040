"""Cursor pagination: stable under inserts, constant cost however deep one reads."""

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = "-id"

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as error:
            raise exceptions.ValidationError({"cursor": ["The cursor is not valid."]}) from error

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                size = int(raw)
            except ValueError:
                size = 0
            if not 1 <= size <= self.max_page_size:
                raise exceptions.ValidationError(
                    {"limit": [f"Give a whole number from 1 to {self.max_page_size}."]}
                )
        return super().get_page_size(request)
