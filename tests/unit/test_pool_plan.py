"""One connection budget per instance (issue 11, finding 1): workers and pools derive from it.

Before, Reflex started 2 x cores + 1 workers with REDIS_URL set, each with a 20 + 20 pool, so
two instances could open several hundred connections against Postgres's 100.
"""

import pytest

from credits_app.db import pool_plan
from credits_app.settings import Settings

REDIS = "redis://127.0.0.1:6379/0"


def settings(**values: object) -> Settings:
    return Settings.model_validate(values)


@pytest.mark.parametrize("budget", [1, 2, 5, 6, 20, 33, 100])
@pytest.mark.parametrize("cores", [1, 2, 4, 16])
def test_workers_times_pool_never_exceeds_the_budget(budget: int, cores: int) -> None:
    plan = pool_plan(settings(db_max_connections=budget, redis_url=REDIS), cpu_count=cores)
    assert plan.total <= budget
    assert plan.workers >= 1 and plan.pool_size >= 1 and plan.max_overflow >= 0


def test_without_redis_there_is_one_worker_with_the_whole_budget() -> None:
    plan = pool_plan(settings(db_max_connections=20), cpu_count=8)
    assert (plan.workers, plan.per_worker) == (1, 20)


def test_with_redis_workers_follow_cores_but_leave_each_at_least_two_connections() -> None:
    assert pool_plan(settings(db_max_connections=40, redis_url=REDIS), cpu_count=2).workers == 5
    assert pool_plan(settings(db_max_connections=6, redis_url=REDIS), cpu_count=2).workers == 3
    assert pool_plan(settings(db_max_connections=100, redis_url=REDIS), cpu_count=64).workers == 8


def test_only_db_pool_idle_connections_per_worker_stay_open_the_rest_is_overflow() -> None:
    plan = pool_plan(
        settings(db_max_connections=12, backend_workers=3, redis_url=REDIS, db_pool_idle=2)
    )
    assert (plan.pool_size, plan.max_overflow) == (2, 2)
    assert pool_plan(settings(db_max_connections=20)).pool_size == 20  # default: whole share


def test_an_api_only_process_runs_one_worker_per_core_without_redis() -> None:
    plan = pool_plan(settings(db_max_connections=16, process_role="api"), cpu_count=2)
    assert (plan.workers, plan.per_worker) == (2, 8)
    assert pool_plan(settings(process_role="api", backend_workers=3)).workers == 3


def test_explicit_workers_need_redis_and_a_connection_each() -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        pool_plan(settings(backend_workers=2))
    with pytest.raises(ValueError, match="DB_MAX_CONNECTIONS"):
        pool_plan(settings(db_max_connections=2, backend_workers=3, redis_url=REDIS))
