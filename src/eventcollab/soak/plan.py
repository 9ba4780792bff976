"""What a soak run does: how long, how fast, how often it looks, how long finished state stays."""

from dataclasses import dataclass

from eventcollab.settings import SERVICES, Settings

# About 30 windows in a short run, one every 30 s in a long one.
FEWEST_WINDOWS = 30
LONGEST_WINDOW_S = 30.0
SHORTEST_WINDOW_S = 2.0
# Finished workflows start leaving within the first tenth of the run: a retention of a
# twelfth, plus a check at most a sixth of that later. Never under a minute: a worker further
# behind its inputs than the retention passes over the events of workflows it still runs (their
# entries may have left), and the step deadlines (below) shrink with it.
RETENTION_SHARE = 12
SHORTEST_RETENTION_S = 60.0
CHECKS_PER_RETENTION = 6
# The workers take a retention only if it is longer than twice the step deadlines together (a
# workflow must not lose its state while it can still run): these shares of the retention keep
# it 10 % above that.
DEADLINE_SHARES = {
    "EVENTCOLLAB_DEADLINE_AUTHORIZE_SECONDS": ("deadline_authorize_seconds", 0.10),
    "EVENTCOLLAB_DEADLINE_RESERVE_SECONDS": ("deadline_reserve_seconds", 0.10),
    "EVENTCOLLAB_DEADLINE_SCHEDULE_SECONDS": ("deadline_schedule_seconds", 0.25),
}


def retention_known() -> bool:
    """Whether the workers read the retention settings: an EVENTCOLLAB_ variable that no
    setting names is ignored, and then every finished workflow stays."""
    return "state_retention_hours" in Settings.model_fields


def duration(minutes: float) -> str:
    return f"{minutes:g} min" if minutes >= 1 else f"{minutes * 60:.3g} s"


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def default_sample_seconds(minutes: float) -> float:
    return clamp(minutes * 60 / FEWEST_WINDOWS, SHORTEST_WINDOW_S, LONGEST_WINDOW_S)


def default_retention_minutes(minutes: float) -> float:
    return max(minutes / RETENTION_SHARE, SHORTEST_RETENTION_S / 60)


def deadlines(retention_s: float) -> dict[str, str]:
    """Step deadlines the workers accept beside this retention: their defaults if they fit,
    else shares of the retention."""
    defaults = {
        name: Settings.model_fields[field].default for name, (field, _) in DEADLINE_SHARES.items()
    }
    if 2 * sum(defaults.values()) < retention_s:
        return {}
    return {name: f"{retention_s * share:.3g}" for name, (_, share) in DEADLINE_SHARES.items()}


def default_check_seconds(retention_minutes: float) -> float:
    return clamp(retention_minutes * 60 / CHECKS_PER_RETENTION, 1.0, 60.0)


@dataclass(frozen=True)
class Plan:
    minutes: float  # of steady load
    rate: float  # orders a second
    sample_seconds: float  # one window each
    retention_minutes: float  # 0 or less: the workers keep their own default
    retention_check_seconds: float
    per_service: bool  # one worker per service instead of the all-in-one worker
    seed: int
    terminal_seconds: float = 300.0  # for the last workflows to end once the load stopped

    @property
    def seconds(self) -> float:
        return self.minutes * 60

    @property
    def windows(self) -> int:
        return max(1, round(self.seconds / self.sample_seconds))

    @property
    def services(self) -> tuple[str, ...]:
        return SERVICES if self.per_service else ("all",)

    @property
    def most_orders(self) -> int:
        """More than the run places, even if the load runs late: the stock is sized on it."""
        return int(self.rate * self.seconds * 1.2) + 100

    def worker_settings(self) -> dict[str, str]:
        """The retention of finished workflows and their records, for every worker, and the
        step deadlines it needs. Workers without a retention setting ignore it (an unknown
        EVENTCOLLAB_ variable), and then keep their deadlines too."""
        if self.retention_minutes <= 0:
            return {}
        retention = {
            "EVENTCOLLAB_STATE_RETENTION_HOURS": f"{self.retention_minutes / 60:.6g}",
            "EVENTCOLLAB_STATE_RETENTION_CHECK_SECONDS": f"{self.retention_check_seconds:g}",
        }
        if not retention_known():
            return retention
        return retention | deadlines(self.retention_minutes * 60)

    def described(self) -> str:
        shape = "one worker per service" if self.per_service else "the all-in-one worker"
        if self.retention_minutes <= 0:
            kept = "finished state kept as the workers' defaults say"
        elif retention_known():
            shortened = list(deadlines(self.retention_minutes * 60).values())
            steps = (
                f"; deadlines to authorize, reserve and schedule {', '.join(shortened)} s"
                if shortened
                else ""
            )
            kept = (
                f"finished state kept {duration(self.retention_minutes)} "
                f"(checked every {self.retention_check_seconds:g} s{steps})"
            )
        else:
            kept = "finished state kept for good (the workers have no retention setting)"
        return (
            f"{self.rate:g} orders/s for {duration(self.minutes)} on {shape}, "
            f"a window every {self.sample_seconds:g} s, {kept}"
        )
