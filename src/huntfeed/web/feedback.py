"""The analyst's feedback over HTTP: list (open, like every read), add and remove (token-guarded)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from huntfeed.environment.feedback import make_rule, rule_to_dict
from huntfeed.errors import ConfigError
from huntfeed.web.write import Authorised

router = APIRouter(prefix="/api", tags=["feedback"])


class FeedbackIn(BaseModel):
    """A false positive (a value) or a technique "not in this report" (scope profile, target = profile id)."""

    kind: str = Field(pattern="^(false-positive|not-in-report)$")
    value: str = Field(min_length=1, max_length=2000)
    type: str = Field(default="", max_length=24)
    scope: str = Field(default="global", pattern="^(global|feed|profile)$")
    target: str = Field(default="", max_length=2000)
    reason: str = Field(min_length=1, max_length=2000)


@router.get("/feedback", summary="Every feedback rule, oldest first")
def list_feedback(request: Request) -> list[dict[str, Any]]:
    return [{"n": r.n, **rule_to_dict(r)} for r in request.app.state.store.list_feedback()]


@router.post("/feedback", status_code=201, summary="Record a feedback rule (token); applied from the next analysis")
def add_feedback(request: Request, body: FeedbackIn, _: Authorised) -> dict[str, Any]:
    try:
        rule = make_rule(body.kind, body.value, type=body.type, scope=body.scope, target=body.target,
                         reason=body.reason)
    except ConfigError as exc:
        raise HTTPException(422, exc.message) from exc
    return {**rule_to_dict(rule), "added": bool(request.app.state.store.add_feedback(rule))}


@router.delete("/feedback/{n}", status_code=204, summary="Forget a feedback rule (token)")
def remove_feedback(request: Request, n: int, _: Authorised) -> Response:
    if not request.app.state.store.remove_feedback(n):
        raise HTTPException(404, "no such feedback rule")
    return Response(status_code=204)
