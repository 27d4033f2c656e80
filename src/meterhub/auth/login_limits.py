"""Failed logins, limited per account and per client address (the `limits` library)."""

from __future__ import annotations

import math
import time

from limits import parse, storage, strategies

from meterhub.core.errors import RateLimited


class LoginLimits:
    """Counts failed logins; refuses further tries once an account or an address has had too many.

    The storage is in memory (one process) unless a URL says otherwise (redis://…), so that
    several workers share one count.
    """

    def __init__(self, *, per_account: str, per_address: str, storage_url: str = "memory://") -> None:
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_url))
        self._per_account = parse(per_account)
        self._per_address = parse(per_address)

    def check(self, *, email: str, address: str) -> None:
        """Raise RateLimited while the account or the address may not try again."""
        for item, who in (
            (self._per_account, f"account:{email.lower()}"),
            (self._per_address, f"address:{address}"),
        ):
            if not self._limiter.test(item, "login", who):
                reset = self._limiter.get_window_stats(item, "login", who).reset_time
                raise RateLimited(
                    "too many failed logins; try again later",
                    retry_after_s=max(1, math.ceil(reset - time.time())),
                )

    def failed(self, *, email: str, address: str) -> None:
        """Count a failed login against the account and the address."""
        self._limiter.hit(self._per_account, "login", f"account:{email.lower()}")
        self._limiter.hit(self._per_address, "login", f"address:{address}")
