"""Importers: a configuration file made from what another on-call tool's own API returns.

Each tool has one module (`grafana_oncall`, `opsgenie`, `pagerduty`) with the same three parts:

- `fetch(source)`: the API answers it needs, from a folder of saved JSON files or the live API;
- `convert(answers)`: an `Import` (a configuration in normal form, and what did not map);
- `oncall_answers(client, schedule_id, instants)`: who the tool says is on call, for `--verify`.

Nothing is ever written to the database here: the file goes to a person for review, then to
`manage.py config apply`.
"""
