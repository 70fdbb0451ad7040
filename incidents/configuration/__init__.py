"""Configuration as code: the whole set-up of one or more teams as a YAML file.

- `schema`: the file's shape, published as JSON Schema (`manage.py config schema`).
- `files`: YAML in (with the line of every value) and out (stable, readable).
- `normal`: a loaded file checked whole (`checks`; every mistake with its line, `problems`) and
  filled in with defaults: the normal form every other module reads and writes.
- `export`, `plan` (`compare`), `apply` (`apply_teams`, `apply_schedules`, `apply_services`): the
  database as a file, what a file would change, and the change.
- `rotas`: a file's schedule as the pure rota, to ask who is on call without a database.
"""
