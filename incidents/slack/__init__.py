"""Slack: what people type and press, read into commands (`commands`), the words and blocks of
what Plantão answers and posts (`messages`), both pure; and the thin Celery tasks (`tasks`)."""
