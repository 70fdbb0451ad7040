"""The lower layer's web pages: schedules and the person's own profile (server-rendered, htmx)."""
