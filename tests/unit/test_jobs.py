"""The job queue on SQLite and Postgres: outbox atomicity, retries, dead-letter, leases, periodic.

Every test uses its own job kinds, so it never runs (or is disturbed by) another test's jobs
in the shared Postgres database.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from credits_app.cli import app as cli
from credits_app.clock import frozen_at
from credits_app.credits import credit_holds
from credits_app.credits import credit_service as credits
from credits_app.credits.hold_expiry import HOLD_TTL
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.jobs import admin, store
from credits_app.jobs.catalog import RELEASE_EXPIRED_HOLDS, default_registry
from credits_app.jobs.outbox import enqueue, jobs
from credits_app.jobs.registry import JobContext, Registry, RetryPolicy
from credits_app.jobs.worker import Worker, WorkerOptions
from tests.conftest import make_user
from tests.support.wallets import wallet_state

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture(autouse=True)
def _database(any_engine: Engine) -> Engine:
    return any_engine


@pytest.fixture
def kind() -> str:
    return f"test.{uuid.uuid4().hex[:10]}"


@pytest.fixture
def now() -> Iterator[datetime]:
    with frozen_at(NOW):
        yield NOW


def recording(kind: str, policy: RetryPolicy | None = None, fail_times: int = 0) -> tuple:
    """A registry whose handler for `kind` records each run and fails the first `fail_times`."""
    runs: list[JobContext] = []

    def handler(job: JobContext) -> None:
        runs.append(job)
        if len(runs) <= fail_times:
            raise RuntimeError(f"boom {len(runs)}")

    registry = Registry()
    registry.register(kind, handler, policy)
    return registry, runs


def worker_for(registry: Registry) -> Worker:
    return Worker(registry, WorkerOptions(lease=LEASE, run_periodic=False))


def job_row(job_id: int) -> dict:
    with unit_of_work() as db:
        return dict(db.execute(select(jobs).where(jobs.c.id == job_id)).one()._mapping)


def jobs_of(kind: str) -> list[dict]:
    with unit_of_work() as db:
        rows = db.execute(select(jobs).where(jobs.c.kind == kind).order_by(jobs.c.id)).all()
    return [dict(row._mapping) for row in rows]


def test_a_rolled_back_transaction_leaves_no_job(kind: str) -> None:
    user = make_user()
    with pytest.raises(RuntimeError), unit_of_work() as db:
        credits.grant_personal_credits(user.id, "5", description="grant", session=db)
        enqueue(db, kind, {"userId": user.id})
        raise RuntimeError("the use case failed after enqueueing")
    assert jobs_of(kind) == []
    assert wallet_state(WalletOwner.user(user.id)).balance == 0


def test_a_committed_transaction_always_has_its_job_and_the_worker_runs_it_once(
    kind: str,
) -> None:
    user = make_user()
    with unit_of_work() as db:
        credits.grant_personal_credits(user.id, "5", description="grant", session=db)
        job_id = enqueue(db, kind, {"userId": user.id})
    registry, runs = recording(kind)
    assert worker_for(registry).run_due() == 1
    assert worker_for(registry).run_due() == 0
    assert [run.payload for run in runs] == [{"userId": user.id}]
    assert job_id is not None
    row = job_row(job_id)
    assert (row["status"], row["attempts"], row["locked_by"]) == ("done", 1, None)


def test_a_dedupe_key_enqueues_one_job(kind: str) -> None:
    with unit_of_work() as db:
        first = enqueue(db, kind, dedupe_key=f"{kind}:once")
        second = enqueue(db, kind, dedupe_key=f"{kind}:once")
    assert first is not None and second is None
    assert len(jobs_of(kind)) == 1


def test_a_failing_job_backs_off_exponentially_then_goes_dead(kind: str, now: datetime) -> None:
    policy = RetryPolicy(max_attempts=3, base_seconds=10, cap_seconds=15)
    registry, runs = recording(kind, policy, fail_times=99)
    with unit_of_work() as db:
        job_id = enqueue(db, kind, max_attempts=policy.max_attempts)
    assert job_id is not None
    worker = worker_for(registry)
    assert worker.run_due() == 1
    first = job_row(job_id)
    assert first["status"] == "pending" and "boom 1" in first["last_error"]
    assert _utc(first["run_at"]) == now + timedelta(seconds=10)
    assert worker.run_due() == 0, "not due before its backoff"
    with frozen_at(now + timedelta(seconds=10)):
        assert worker.run_due() == 1
    assert _utc(job_row(job_id)["run_at"]) == now + timedelta(seconds=10 + 15), "capped"
    with frozen_at(now + timedelta(seconds=25)):
        assert worker.run_due() == 1
    dead = job_row(job_id)
    assert (dead["status"], dead["attempts"], len(runs)) == ("dead", 3, 3)
    with frozen_at(now + timedelta(days=1)):
        assert worker.run_due() == 0, "a dead job is never run again by itself"
        assert admin.retry_dead([job_id]) == 1
        assert worker.run_due() == 1
    assert (job_row(job_id)["status"], job_row(job_id)["attempts"]) == ("pending", 1)


def test_a_job_whose_worker_vanished_is_claimed_again_after_its_lease(
    kind: str, now: datetime
) -> None:
    registry, runs = recording(kind)
    with unit_of_work() as db:
        job_id = enqueue(db, kind)
    with unit_of_work() as db:
        [lost] = store.claim_due(db, "vanished-worker", [kind], 10, LEASE)
    assert worker_for(registry).run_due() == 0, "leased to the vanished worker"
    with frozen_at(now + LEASE + timedelta(seconds=1)):
        assert worker_for(registry).run_due() == 1
        with unit_of_work() as db:
            assert not store.finish(db, lost, "vanished-worker"), "its lease was taken over"
    assert job_id is not None
    assert (job_row(job_id)["status"], job_row(job_id)["attempts"]) == ("done", 2)
    assert [run.attempt for run in runs] == [2]


def test_a_worker_claims_only_kinds_it_can_run(kind: str) -> None:
    with unit_of_work() as db:
        job_id = enqueue(db, f"{kind}.unknown")
    registry, _ = recording(kind)
    assert worker_for(registry).run_due() == 0
    assert job_id is not None and job_row(job_id)["status"] == "pending"


def test_a_periodic_job_is_enqueued_once_per_period_by_competing_workers(
    kind: str, now: datetime
) -> None:
    registry, runs = recording(kind)
    registry.every(kind, kind, lambda: timedelta(minutes=1))
    workers = [Worker(registry, WorkerOptions(lease=LEASE)) for _ in range(3)]
    assert [w.schedule_periodic() for w in workers] == [1, 0, 0]
    with frozen_at(now + timedelta(seconds=59)):
        assert sum(w.schedule_periodic() for w in workers) == 0
    with frozen_at(now + timedelta(minutes=1)):
        assert sum(w.schedule_periodic() for w in workers) == 1
        assert workers[1].run_due() == 2
    assert len(runs) == 2 and len(jobs_of(kind)) == 2


def test_the_hold_expiry_job_frees_an_idle_wallets_expired_hold(now: datetime) -> None:
    user = make_user()
    owner = WalletOwner.user(user.id)
    credits.grant_personal_credits(user.id, "10", description="grant")
    credit_holds.place_hold(owner, 40_000)
    registry = default_registry()
    only_holds = Registry(kinds={RELEASE_EXPIRED_HOLDS: registry.kinds[RELEASE_EXPIRED_HOLDS]})
    with unit_of_work() as db:
        enqueue(db, RELEASE_EXPIRED_HOLDS)
    worker_for(only_holds).run_due()
    assert wallet_state(owner).held == 40_000, "not expired yet"
    with frozen_at(now + HOLD_TTL + timedelta(seconds=1)):
        with unit_of_work() as db:
            enqueue(db, RELEASE_EXPIRED_HOLDS)
        worker_for(only_holds).run_due()
    assert wallet_state(owner).held == 0


def test_the_jobs_cli_counts_retries_and_purges_dead_jobs(kind: str) -> None:
    registry, _ = recording(kind, RetryPolicy(max_attempts=1), fail_times=99)
    with unit_of_work() as db:
        for _ in range(3):
            enqueue(db, kind, max_attempts=1)
    worker_for(registry).run_due()
    runner = CliRunner()
    listed = runner.invoke(cli, ["jobs", "list", "--status", "dead"])
    assert listed.exit_code == 0, listed.output
    assert kind in listed.stdout and "boom" in listed.stdout
    assert admin.count_by_status()[kind] == {"dead": 3}
    retried = runner.invoke(cli, ["jobs", "retry"])
    assert "Retrying 3 dead job(s)." in retried.stdout
    worker_for(registry).run_due()
    purged = runner.invoke(cli, ["jobs", "purge-dead"])
    assert "Purged 3 dead job(s)." in purged.stdout
    assert jobs_of(kind) == []


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
