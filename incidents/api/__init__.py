"""The REST API's incident resources and the configuration around them."""
