"""Give the Voilà page the ``_xsrf`` cookie its kernel-shutdown request needs (Voilà 0.5).

When a page closes or reloads, Voilà's page posts ``voila/api/shutdown/<kernel id>`` with an
``_xsrf`` field read from the ``_xsrf`` cookie. Standalone Voilà never sets that cookie, so the
server refuses the request (403, "'_xsrf' argument missing from POST") and every closed tab leaves
its kernel running. Tornado sets the cookie the first time a handler reads its public
``xsrf_token`` property; this identity provider reads it on every authenticated GET of a page, so
the page then carries the token and the shutdown is accepted. It works with preheated kernels
too (Voilà's prelaunch_hook does not). tools/serve.py puts this folder on PYTHONPATH and passes
``--Voila.identity_provider_class=page_xsrf.PageXsrfIdentityProvider``.
"""
from __future__ import annotations

from jupyter_core.utils import ensure_async
from jupyter_server.auth.identity import PasswordIdentityProvider
from tornado.websocket import WebSocketHandler


class PageXsrfIdentityProvider(PasswordIdentityProvider):
    """Jupyter's token/password login, plus the ``_xsrf`` cookie on each authenticated page load."""

    async def get_user(self, handler):
        user = await ensure_async(super().get_user(handler))
        if user is not None and handler.request.method == "GET" and not isinstance(handler, WebSocketHandler):
            # xsrf_token reads current_user (for the cookie's lifetime): give it the user first,
            # as Jupyter's own prepare() does right after this call.
            handler.current_user = user
            handler.xsrf_token  # noqa: B018 - reading it sets the _xsrf cookie (tornado's public API)
        return user
