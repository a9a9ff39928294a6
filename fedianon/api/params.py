"""Request parameters as Mastodon reads them: query string, JSON, form or multipart bodies,
with bracket keys (`media_ids[]`, `poll[options][]`, `fields_attributes[0][name]`).

Every getter raises ValidationFailed/BadRequest with a clear message on a wrong type.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from fedianon.errors import BadRequest, ValidationFailed

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_FALSE = {"false", "0", "f", "off", "no", "n"}
MAX_BODY = 1024 * 1024


def _insert(target: dict[str, Any], key: str, value: Any) -> None:
    match = _KEY_RE.match(key)
    if not match:
        target[key] = value
        return
    name, brackets = match.group(1), match.group(2)
    parts = re.findall(r"\[([^\[\]]*)\]", brackets)
    if not parts:
        target[name] = value
        return
    node: Any = target
    path = [name, *parts]
    for index, part in enumerate(path[:-1]):
        following = path[index + 1]
        if isinstance(node, list):
            node.append({} if following != "" else [])
            node = node[-1]
            continue
        existing = node.get(part)
        if following == "":
            if not isinstance(existing, list):
                existing = [] if existing is None else [existing]
                node[part] = existing
        elif not isinstance(existing, dict):
            existing = {}
            node[part] = existing
        node = existing
    last = path[-1]
    if isinstance(node, list):
        node.append(value)
    elif last == "":
        node.setdefault(last, []).append(value)
    else:
        node[last] = value


def nest(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        _insert(out, key, value)
    return out


class Params:
    """Merged parameters: body values win over query values."""

    def __init__(self, data: dict[str, Any], files: dict[str, UploadFile] | None = None) -> None:
        self.data = data
        self.files = files or {}

    def __contains__(self, name: str) -> bool:
        return name in self.data and self.data[name] is not None

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def str(
        self, name: str, default: str | None = None, *, max_length: int | None = None
    ) -> str | None:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            value = "true" if value else "false"
        if isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str):
            raise ValidationFailed(f"Validation failed: {name} must be a string")
        if max_length is not None and len(value) > max_length:
            raise ValidationFailed(
                f"Validation failed: {name} is too long (maximum is {max_length} characters)"
            )
        return value

    def bool(self, name: str, default: bool | None = None) -> bool | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str):
            return value.strip().lower() not in _FALSE
        raise ValidationFailed(f"Validation failed: {name} must be a boolean")

    def int(
        self,
        name: str,
        default: int | None = None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise ValidationFailed(f"Validation failed: {name} must be a number")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationFailed(f"Validation failed: {name} must be a number") from None
        if minimum is not None and number < minimum:
            raise ValidationFailed(f"Validation failed: {name} must be at least {minimum}")
        if maximum is not None and number > maximum:
            raise ValidationFailed(f"Validation failed: {name} must be at most {maximum}")
        return number

    def list(self, name: str) -> list[Any]:
        """`name[]`, `name` as a list, or a single `name` value, as a list (ids stay strings)."""
        value = self.data.get(name)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return [value[key] for key in sorted(value, key=lambda k: (len(k), k))]
        return [value]

    def str_list(self, name: str) -> list[str]:
        items = self.list(name)
        out = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise ValidationFailed(f"Validation failed: {name} must be a list of strings")
            out.append(str(item))
        return out

    def dict(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValidationFailed(f"Validation failed: {name} must be an object")
        return value


async def read_params(request: Request) -> Params:
    """Query plus body, whatever the content type. Malformed JSON is a 400."""
    pairs: list[tuple[str, Any]] = list(request.query_params.multi_items())
    data = nest(pairs)
    files: dict[str, UploadFile] = {}
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/json" or content_type.endswith("+json"):
            body = await request.body()
            if len(body) > MAX_BODY:
                raise BadRequest("Request body is too large")
            if body.strip():
                try:
                    parsed = json.loads(body)
                except (ValueError, UnicodeDecodeError):
                    raise BadRequest("Error occurred while parsing request parameters") from None
                if not isinstance(parsed, dict):
                    raise BadRequest(
                        "Error occurred while parsing request parameters: expected a JSON object"
                    )
                # JSON keys may still use brackets (some clients mix styles).
                body_data = nest([(str(k), v) for k, v in parsed.items()])
                data.update(body_data)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                form = await request.form(max_files=8, max_fields=2000)
            except Exception:  # multipart parser errors have no common base class
                raise BadRequest("Error occurred while parsing request parameters") from None
            form_pairs: list[tuple[str, Any]] = []
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files[key] = value
                else:
                    form_pairs.append((key, value))
            data.update(nest(form_pairs))
    return Params(data, files)
