"""Gunicorn settings (`gunicorn -c python:oncall.config.gunicorn`): access logs without secrets."""

from gunicorn.glogging import Logger

from oncall.redaction import redact


class RedactingLogger(Logger):
    """Gunicorn's logger, with calendar and integration tokens cut out of the access log."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms


logger_class = RedactingLogger
accesslog = "-"
