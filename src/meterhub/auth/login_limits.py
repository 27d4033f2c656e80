"""Failed logins, limited per account and per client address (moving windows of auth/rate_limits.py)."""

from __future__ import annotations

from meterhub.auth.rate_limits import RateLimits, Window
from meterhub.core.errors import RateLimited


class LoginLimits:
    """Counts failed logins; refuses further tries once an account or an address has had too many.

    The counts are the rate limits' (in memory, or in Redis so that several workers share them).
    """

    def __init__(self, limits: RateLimits, *, per_account: str, per_address: str) -> None:
        self._limits = limits
        self._per_account = Window("login-failures-account", per_account)
        self._per_address = Window("login-failures-address", per_address)

    def check(self, *, email: str, address: str) -> None:
        """Raise RateLimited while the account or the address may not try again."""
        try:
            self._limits.test(self._per_account, email.lower())
            self._limits.test(self._per_address, address)
        except RateLimited as exc:
            raise RateLimited(
                "too many failed logins; try again later", retry_after_s=exc.retry_after_s
            ) from None

    def failed(self, *, email: str, address: str) -> None:
        """Count a failed login against the account and the address."""
        self._limits.hit(self._per_account, email.lower())
        self._limits.hit(self._per_address, address)
