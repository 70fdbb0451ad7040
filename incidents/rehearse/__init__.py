"""The client side of `manage.py rehearse`: plan a storm, drive it through the real HTTP ingest,
read what the server recorded through the API, and report.

Nothing here imports the server's models or services: the command runs against a remote
Plantão as well as the local one. The one exception, minting a token for the local default,
lives in the management command.
"""
