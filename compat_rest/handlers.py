"""The one place the route table's handler rows meet their endpoints (streams, uploads, carrier callbacks).

`compat_rest.routes.Handler` names each; `handler_endpoints` builds every one for a platform, and
`build_routes` refuses to start with a row left unbound (tests/compat_rest/test_handler_rows.py checks it).
"""

from __future__ import annotations

import strawberry

from app.platform import Platform
from compat_rest.customer_import import import_handler
from compat_rest.exotel_callbacks import exotel_handlers
from compat_rest.recording import recording_handler
from compat_rest.routes import Handler
from compat_rest.sample_preview import sample_preview_handler
from compat_rest.shim import Endpoint
from compat_rest.speaker_uploads import speaker_handlers


def handler_endpoints(schema: strawberry.Schema, platform: Platform) -> dict[Handler, Endpoint]:
    return {
        Handler.CUSTOMER_IMPORT: import_handler(schema, platform),
        Handler.CALL_RECORDING: recording_handler(platform),
        Handler.SAMPLE_PREVIEW: sample_preview_handler(platform),
        **speaker_handlers(schema, platform),
        **exotel_handlers(platform),
    }
