"""Test-only authentication handlers that the REST tests run around the service's own handlers.

HANDLERS in the REST tests' config lists FaultInjectionHandler first, then the
service's APIKeyAuthenticationHandler, then DomainHeaderCheckHandler.
"""

from spaceone.core import error as core_error
from spaceone.core.error import ERROR_PERMISSION_DENIED
from spaceone.core.handler import BaseAuthenticationHandler


class FaultInjectionHandler(BaseAuthenticationHandler):
    """Raise a configured spaceone-core error for the tokens listed under "faults".

    Each entry maps a token to {"error": class name, "kwargs": arguments}. It
    lets a test reach a status that the service raises on no request path,
    such as ALREADY_EXISTS. Other tokens pass on to the next handler.
    """

    def verify(self, params: dict) -> None:
        fault = self.config.get("faults", {}).get(self.transaction.get_meta("token"))
        if fault is not None:
            raise getattr(core_error, fault["error"])(**fault.get("kwargs", {}))


class DomainHeaderCheckHandler(BaseAuthenticationHandler):
    """Deny a request whose x_domain_id metadata differs from params["domain_id"].

    It shows that the X-Domain-Id header of a REST request reaches the
    transaction's metadata, as the gRPC metadata x_domain_id does.
    """

    def verify(self, params: dict) -> None:
        x_domain_id = self.transaction.get_meta("x_domain_id")
        if x_domain_id and x_domain_id != params.get("domain_id"):
            raise ERROR_PERMISSION_DENIED()
