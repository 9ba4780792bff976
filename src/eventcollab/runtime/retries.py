"""How often, and after how long, a handler that raised is tried again on the same record."""

from dataclasses import dataclass

from eventcollab.settings import Settings


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`attempts` in all (the first included), waiting `first` seconds before the second,
    `factor` times longer before each next one, never more than `cap` seconds."""

    attempts: int = 3
    first: float = 0.1
    factor: float = 2.0
    cap: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.first < 0 or self.factor < 1 or self.cap < 0:
            raise ValueError(f"not a retry policy: {self}")

    def delays(self) -> tuple[float, ...]:
        """The wait before each attempt after the first: one fewer than the attempts."""
        return tuple(min(self.first * self.factor**n, self.cap) for n in range(self.attempts - 1))

    @classmethod
    def of(cls, settings: Settings) -> "RetryPolicy":
        return cls(
            attempts=settings.retry_attempts,
            first=settings.retry_backoff_seconds,
            factor=settings.retry_backoff_factor,
            cap=settings.retry_backoff_max_seconds,
        )
