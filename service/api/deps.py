"""Dependencies as ``Annotated`` aliases: the manager, the owner (bearer auth), the session."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..problems import Problem
from ..sessions import Manager, Session
from ..settings import Settings

LOOPBACK = frozenset({"127.0.0.1", "::1"})
bearer = HTTPBearer(auto_error=False, description="an API token: PPCDBG_API_TOKENS owner:token")


class Auth:
    def __init__(self, settings: Settings) -> None:
        self.tokens = settings.tokens()
        self.anonymous = settings.allow_anonymous

    def owner(self, token: str | None, host: str | None) -> str:
        """The token's owner; 'anonymous' for loopback clients when allowed; else a 401."""
        if token:
            found = None
            for known, owner in self.tokens.items():
                if secrets.compare_digest(known.encode(), token.encode()):
                    found = owner
            if found is not None:
                return found
            raise Problem(401, "unauthorized", "the bearer token is not valid")
        if self.anonymous and host in LOOPBACK:
            return "anonymous"
        raise Problem(401, "unauthorized", "send an API token: Authorization: Bearer <token>")


async def get_manager(request: Request) -> Manager:
    """The manager, its images, snapshots and session directory read from the database first
    when there are several replicas (Manager.sync)."""
    manager: Manager = request.app.state.manager
    await manager.sync()
    return manager


ManagerDep = Annotated[Manager, Depends(get_manager)]


async def get_owner(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    auth: Auth = request.app.state.auth
    host = request.client.host if request.client else None
    return auth.owner(credentials.credentials if credentials else None, host)


OwnerDep = Annotated[str, Depends(get_owner)]


async def get_session(session_id: str, owner: OwnerDep, request: Request) -> Session:
    # Not ManagerDep: a session's own commands (a step) read nothing another replica writes,
    # so they skip the sync (the routes that list or look up images and snapshots have it).
    manager: Manager = request.app.state.manager
    return manager.session(owner, session_id)


SessionDep = Annotated[Session, Depends(get_session)]
