"""The REST API under /api/v1 (django-ninja, OpenAPI 3 at /api/v1/openapi.json)."""

from __future__ import annotations

from ninja import NinjaAPI

from earlywarn.config.api_errors import install_error_handlers

api = NinjaAPI(
    title="earlywarn API",
    version="1",
    description="Report intake and case actions. Authenticate with `Authorization: Bearer <token>`.",
    urls_namespace="api",
    docs_url="/docs",
)
install_error_handlers(api)

api.add_router("/", "earlywarn.intake.api.router")
api.add_router("/", "earlywarn.cases.api.router")
api.add_router("/", "earlywarn.intake.status_api.router")
api.add_router("/", "earlywarn.websites.api.router")
