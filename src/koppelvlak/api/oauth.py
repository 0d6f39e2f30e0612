"""``POST /oauth/token``: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).

Clients authenticate with their secret (HTTP Basic or form fields) or with a signed client
assertion (``private_key_jwt``, RFC 7523) checked against the public key registered for them.
The granted scopes are the OneRoster scopes the provider's datasets justify, intersected with what
was asked; scopes we do not serve are dropped and the answer's ``scope`` says what was granted
(RFC 6749 §3.3). Errors use the RFC 6749 §5.2 JSON format.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_plus

import jwt
from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from koppelvlak.api import tokens
from koppelvlak.api.ratelimit import Limits, TooManyAttempts, client_address
from koppelvlak.connections import service as connections
from koppelvlak.kit.clock import utcnow
from koppelvlak.kit.problems import problem_response
from koppelvlak.providers import service as providers
from koppelvlak.release.oneroster import DEMOGRAPHIC_ATTRIBUTES
from koppelvlak.runtime import Runtime

router = APIRouter(tags=["oauth"])
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_JTI_LENGTH = 255


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400, *, basic: bool = False):
        super().__init__(description)
        self.error, self.description, self.status, self.basic = error, description, status, basic

    def response(self) -> JSONResponse:
        headers = dict(_NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="koppelvlak"' if self.basic else "Bearer"
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=headers)


@dataclass(frozen=True)
class Client:
    credential_id: uuid.UUID
    client_id: str
    provider_id: uuid.UUID


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(
            "invalid_client", "malformed HTTP Basic credentials", 401, basic=True
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "malformed HTTP Basic credentials", 401, basic=True)
    return unquote_plus(client_id), unquote_plus(secret)


def _by_secret(
    session: Session, client_id: str, secret: str, at: datetime, *, basic: bool
) -> Client:
    principal = providers.authenticate_client(session, client_id, secret, at)
    if principal is None:
        raise OAuthError("invalid_client", "client authentication failed", 401, basic=basic)
    return Client(principal.credential_id, principal.client_id, principal.provider_id)


def _by_assertion(
    session: Session, assertion: str, audience: str, at: datetime, max_seconds: int
) -> Client:
    """RFC 7523 §3: a signed, unexpired, single-use assertion that lives at most ``max_seconds``.

    Replay and lifetime are judged only after the signature holds, so the error text tells a
    stranger nothing about another client's assertions.
    """
    failed = OAuthError("invalid_client", "client authentication failed", 401)
    try:
        claimed = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise failed from None
    client_id = str(claimed.get("iss", ""))
    public_key = providers.client_public_key(session, client_id) if client_id else None
    if public_key is None:
        raise failed
    try:
        claims = jwt.decode(
            assertion,
            public_key,
            algorithms=ASSERTION_ALGORITHMS,
            audience=audience,
            issuer=client_id,
            options={"require": ["iss", "sub", "aud", "exp", "jti"]},
        )
    except jwt.PyJWTError:
        raise failed from None
    if claims["sub"] != client_id:
        raise failed
    principal = providers.client_principal(session, client_id, at)
    if principal is None:
        raise failed
    expires, jti = int(claims["exp"]), str(claims["jti"])
    if expires - int(claims.get("iat", at.timestamp())) > max_seconds:
        raise OAuthError(
            "invalid_client",
            f"the client assertion must expire at most {max_seconds} seconds after it was issued",
            401,
        )
    if not jti or len(jti) > MAX_JTI_LENGTH:
        raise OAuthError(
            "invalid_client",
            f"the client assertion's jti must be 1 to {MAX_JTI_LENGTH} characters",
            401,
        )
    expires_at = datetime.fromtimestamp(expires, tz=UTC)
    if not providers.use_client_assertion(session, principal.credential_id, jti, expires_at, at):
        raise OAuthError("invalid_client", "the client assertion has been used before", 401)
    return Client(principal.credential_id, principal.client_id, principal.provider_id)


def authenticate(
    session: Session,
    request: Request,
    form: dict[str, str],
    audience: str,
    at: datetime,
    *,
    max_assertion_seconds: int,
) -> Client:
    """Exactly one client authentication method (RFC 6749 §2.3), else ``invalid_request``."""
    basic = _basic(request.headers.get("authorization", ""))
    methods = [
        basic is not None,
        "client_secret" in form,
        "client_assertion" in form or "client_assertion_type" in form,
    ]
    if sum(methods) > 1:
        raise OAuthError("invalid_request", "use exactly one client authentication method")
    if basic is not None:
        if "client_id" in form and form["client_id"] != basic[0]:
            raise OAuthError("invalid_request", "client_id differs from the Basic credentials")
        return _by_secret(session, basic[0], basic[1], at, basic=True)
    if "client_secret" in form:
        if not form.get("client_id"):
            raise OAuthError("invalid_request", "client_id is required with client_secret")
        return _by_secret(session, form["client_id"], form["client_secret"], at, basic=False)
    if methods[2]:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise OAuthError("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
        if not form.get("client_assertion"):
            raise OAuthError("invalid_request", "client_assertion is required")
        return _by_assertion(session, form["client_assertion"], audience, at, max_assertion_seconds)
    raise OAuthError("invalid_client", "client authentication is required", 401, basic=True)


def justified_scopes(session: Session, provider_id: uuid.UUID, at: datetime) -> tuple[str, ...]:
    """Roster scopes for any provider with an active connection; demographics when a dataset
    releases birth date or sex."""
    views = [
        v
        for v in connections.connections_for_provider(session, provider_id, at)
        if v.state == "active"
    ]
    if not views:
        return ()
    scopes = [tokens.ROSTER_CORE, tokens.ROSTER]
    if any(frozenset(v.attribute_ids) & DEMOGRAPHIC_ATTRIBUTES for v in views):
        scopes.append(tokens.DEMOGRAPHICS)
    return tuple(scopes)


def grant(requested: str | None, justified: tuple[str, ...]) -> tuple[str, ...]:
    """RFC 6749 §3.3: grant the supported subset of what was asked; none asked → all justified."""
    if requested is None or not requested.strip():
        if not justified:
            raise OAuthError("invalid_scope", "the client has no active connection")
        return justified
    asked = requested.split()
    granted = tuple(scope for scope in justified if scope in asked)
    if not granted:
        raise OAuthError("invalid_scope", "none of the requested scopes can be granted")
    return granted


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


@router.post(
    "/oauth/token",
    summary="Get an access token (OAuth 2.0 client credentials)",
    operation_id="getAccessToken",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"$ref": "#/components/schemas/TokenRequest"}
                }
            },
        },
        "responses": {
            "200": {
                "description": "The access token",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/TokenResponse"}}
                },
            },
            "400": {
                "description": "RFC 6749 error",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}
                },
            },
            "401": {
                "description": "Client authentication failed",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}
                },
            },
        },
    },
)
async def token(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    limits: Limits = request.app.state.limits
    address = client_address(request)
    wait = limits.requests.retry_after(f"token:{address}")
    if wait is not None:
        return _too_many("too many token requests; slow down", wait)
    claimed: str | None = None
    try:
        form = await _form(request)
        claimed = _claimed_client_id(request, form)
        limits.failed_attempts.check(address, claimed and f"client:{claimed}")
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required")
        if grant_type != "client_credentials":
            raise OAuthError(
                "unsupported_grant_type", f"grant type {grant_type!r} is not supported"
            )
        at = utcnow()
        # In a worker thread: the secret check is a deliberately slow argon2 verification, and
        # in the event loop it would stall every other request of this process meanwhile.
        client, scopes = await run_in_threadpool(_authenticate_and_grant, request, form, at)
    except TooManyAttempts as locked:
        return _too_many(locked.detail, locked.retry_after)
    except OAuthError as error:
        if error.error == "invalid_client":
            limits.failed_attempts.failed(address, claimed and f"client:{claimed}")
        return error.response()
    request.state.client_id = client.client_id
    lifetime = runtime.settings.access_token_seconds
    access_token = tokens.issue(
        runtime.secrets.token_signing_key,
        credential_id=client.credential_id,
        client_id=client.client_id,
        provider_id=client.provider_id,
        scopes=scopes,
        now=at,
        lifetime_seconds=lifetime,
    )
    body = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": " ".join(scopes),
    }
    return JSONResponse(body, headers=_NO_STORE)


def _authenticate_and_grant(
    request: Request, form: dict[str, str], at: datetime
) -> tuple[Client, tuple[str, ...]]:
    runtime: Runtime = request.app.state.runtime
    with runtime.unit_of_work() as session:
        client = authenticate(
            session,
            request,
            form,
            token_url(request),
            at,
            max_assertion_seconds=runtime.settings.client_assertion_max_seconds,
        )
        scopes = grant(form.get("scope"), justified_scopes(session, client.provider_id, at))
    return client, scopes


def _too_many(detail: str, wait: int) -> Response:
    return problem_response(
        429, "Too many requests", detail, headers={"Retry-After": str(wait), **_NO_STORE}
    )


def _claimed_client_id(request: Request, form: dict[str, str]) -> str | None:
    """Who the caller says it is, unverified: the key its failed attempts are counted under."""
    try:
        basic = _basic(request.headers.get("authorization", ""))
    except OAuthError:
        basic = None
    if basic is not None:
        return basic[0][:128] or None
    if form.get("client_id"):
        return form["client_id"][:128]
    if form.get("client_assertion"):
        try:
            claimed = jwt.decode(form["client_assertion"], options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        return str(claimed.get("iss", ""))[:128] or None
    return None


def token_url(request: Request) -> str:
    runtime: Runtime = request.app.state.runtime
    return runtime.settings.public_url + "/oauth/token"
