"""Where an importer reads the old tool's answers: a folder of saved JSON files, or its API."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path


class ImportFailed(Exception):
    """The answers could not be read; the message says what to do, and never holds a token."""


class Folder:
    """JSON files saved from the tool's API (`curl ... > users.json`): a name's answer is in
    `<name>.json`, and its further pages, if any, in `<name>-2.json`, `<name>-3.json`..."""

    def __init__(self, path: str | Path, how_to_save: Mapping[str, str] | None = None):
        self.path = Path(path)
        self.how_to_save = how_to_save or {}
        if not self.path.is_dir():
            raise ImportFailed(f"{self.path} is not a folder")

    def documents(self, name: str, required: bool = True) -> list:
        """Return the JSON documents saved for `name`, first page first."""
        first = self.path / f"{name}.json"
        if not first.exists():
            if not required:
                return []
            how = self.how_to_save.get(name)
            hint = f": save it with\n  {how}" if how else ""
            raise ImportFailed(f"{first} is missing{hint}")
        found, page = [first], 2
        while (self.path / f"{name}-{page}.json").exists():
            found.append(self.path / f"{name}-{page}.json")
            page += 1
        return [_json_file(path) for path in found]


def _json_file(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportFailed(f"{path} is not a JSON file: {error}") from None


class Api:
    """The tool's REST API at `base_url`, authenticated by the headers `auth(token)` gives."""

    def __init__(
        self,
        base_url: str,
        token: str,
        auth: Callable[[str], dict[str, str]],
        timeout: float = 30.0,
    ):
        if not base_url.startswith(("https://", "http://")):
            raise ImportFailed(f"--url must start with https:// (got {base_url!r})")
        if not token:
            raise ImportFailed("give the API token with --token")
        self.base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/json", **auth(token)}
        self.timeout = timeout
        self.requests = 0

    def get(self, path_or_url: str, params: Mapping | list | None = None):
        """GET a path (or a full URL the API gave, such as a next page) and return its JSON."""
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params, doseq=True)
        # Only http(s): the base URL is checked above, and a next page's URL here.
        if not url.startswith(("https://", "http://")):
            raise ImportFailed(f"the API gave a link that is not http(s): {url.split('?')[0]}")
        request = urllib.request.Request(url, headers=self._headers)  # noqa: S310
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            shown = url.split("?")[0]
            if error.code in (401, 403):
                raise ImportFailed(
                    f"{shown} answered {error.code}: the token was refused (check that it "
                    "may read users, schedules and escalation policies)"
                ) from None
            raise ImportFailed(f"{shown} answered {error.code} {error.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise ImportFailed(f"{self.base_url} could not be reached: {error}") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ImportFailed(f"{url.split('?')[0]} did not answer JSON") from None
