"""Path parameters of the route table, typed: an id that cannot exist (too long, CR/LF, other characters)
or a speaker name that cannot be one never matches a route, so it is the router's JSON 404 instead of a
value the ORM refuses with a server error. The OpenAPI document states the same patterns."""

from __future__ import annotations

import re
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route, compile_path

from app.speakers.service import NAME, NAME_MAX
from schema.public_ids import ID_MAX_LENGTH, ID_PATTERN


class PublicIdConvertor(Convertor[str]):
    regex = ID_PATTERN

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class SpeakerNameConvertor(PublicIdConvertor):
    regex = f"[a-z0-9-]{{1,{NAME_MAX}}}"  # the service's NAME rule, loosened to one class; it checks the rest


register_url_convertor("public_id", PublicIdConvertor())
register_url_convertor("speaker_name", SpeakerNameConvertor())

CONVERTOR_BY_PARAMETER = {"name": "speaker_name"}  # every other parameter of the table is a public id
SCHEMA_BY_CONVERTOR: dict[str, dict[str, Any]] = {
    "public_id": {"type": "string", "pattern": f"^{ID_PATTERN}$", "maxLength": ID_MAX_LENGTH},
    "speaker_name": {"type": "string", "pattern": NAME.pattern, "minLength": 1, "maxLength": NAME_MAX},
}


def convertor_of(parameter: str) -> str:
    return CONVERTOR_BY_PARAMETER.get(parameter, "public_id")


def parameter_schema(parameter: str) -> dict[str, Any]:
    return dict(SCHEMA_BY_CONVERTOR[convertor_of(parameter)])


def typed(path: str) -> str:
    """`/agents/{agent_uuid}` -> `/agents/{agent_uuid:public_id}`."""
    return re.sub(r"{(\w+)}", lambda m: f"{{{m.group(1)}:{convertor_of(m.group(1))}}}", path)


class TypedRoute(Route):
    """Matches with the typed path but keeps the plain template as `path` (metrics label by it)."""

    def __init__(self, path: str, endpoint: Any, **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        self.path_regex, self.path_format, self.param_convertors = compile_path(typed(path))
