"""GET /healthz."""

from __future__ import annotations

from headrace.api.schemas.common import ApiModel


class GetHealthzResponse(ApiModel):
    commit_sha: str
    tag_name: str
    multi_user: bool
    pipeline_store: str
