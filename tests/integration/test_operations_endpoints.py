"""What operators and load balancers read (issue 11): health probes, Prometheus metrics with
outcomes by route, and a request id on every response, over HTTP against the running app."""

import json
import re
import time
import uuid
from datetime import timedelta

from sqlalchemy import delete, update

from credits_app.clock import utcnow
from credits_app.db import unit_of_work
from credits_app.jobs.outbox import enqueue, jobs
from tests.support.api_client import ApiClient, fund_user
from tests.support.app_server import RunningApp


def metric_value(text: str, name: str, **labels: str) -> float:
    """One sample of the exposition text (0 when absent), labels matched in any order."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_live_and_ready_answer_200_with_the_dependencies_named(api: ApiClient) -> None:
    assert api.http.get("/api/health/live").json() == {"status": "ok"}
    ready = api.http.get("/api/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok"}  # no REDIS_URL: not checked


def test_metrics_count_deductions_by_outcome_and_time_requests_by_route_template(
    api: ApiClient,
) -> None:
    user = api.register("metrics")
    fund_user(user, "1")
    before = api.http.get("/metrics").text
    body = {"wallet": {"type": "user", "id": user.id}, "amount": "1", "category": "other"}
    assert api.service_deduct(body).status_code == 200
    assert api.service_deduct(body).status_code == 402
    api.balance(user)
    after = api.http.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    for outcome in ("ok", "insufficient_credits"):
        grew = metric_value(after.text, "uc_deductions_total", outcome=outcome) - metric_value(
            before, "uc_deductions_total", outcome=outcome
        )
        assert grew == 1, outcome
    timed = metric_value(
        after.text, "uc_http_request_duration_seconds_count", route="/api/credits", status="200"
    )
    assert timed >= 1
    assert "uc_db_pool_connections_open" in after.text


def test_metrics_show_the_job_queue_depth_by_kind_and_status_as_the_table_has_it_now(
    api: ApiClient,
) -> None:
    kind = f"metrics.probe.{uuid.uuid4().hex[:8]}"  # no worker runs it: the rows stay put
    with unit_of_work() as db:
        due_ids = [enqueue(db, kind, {"n": n}) for n in range(3)]
        enqueue(db, kind, run_at=utcnow() + timedelta(hours=1))  # pending, not due yet
        dead_id = enqueue(db, kind, {"dead": True})
        db.execute(update(jobs).where(jobs.c.id == dead_id).values(status="dead"))
        five_minutes_ago = utcnow() - timedelta(minutes=5)
        db.execute(update(jobs).where(jobs.c.id == due_ids[0]).values(run_at=five_minutes_ago))
    try:
        text = api.http.get("/metrics").text
        assert metric_value(text, "uc_jobs", kind=kind, status="pending") == 4
        assert metric_value(text, "uc_jobs", kind=kind, status="dead") == 1
        assert metric_value(text, "uc_jobs", kind=kind, status="running") == 0
        assert metric_value(text, "uc_jobs_due", kind=kind) == 3
        assert metric_value(text, "uc_jobs_oldest_due_age_seconds") >= 300
        assert metric_value(text, "uc_jobs_scrape_ok") == 1
        with unit_of_work() as db:  # a worker finishes two of them: the next scrape says so
            db.execute(update(jobs).where(jobs.c.id.in_(due_ids[1:])).values(status="done"))
        again = api.http.get("/metrics").text
        assert metric_value(again, "uc_jobs", kind=kind, status="pending") == 2
        assert metric_value(again, "uc_jobs_due", kind=kind) == 1
        assert metric_value(again, "uc_jobs", kind=kind, status="done") == 0  # history, not depth
    finally:
        with unit_of_work() as db:
            db.execute(delete(jobs).where(jobs.c.kind == kind))


def test_every_response_carries_a_request_id_and_keeps_a_sane_one_from_the_caller(
    api: ApiClient, api_server: RunningApp
) -> None:
    generated = api.http.get("/api/health/live").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    mine = f"req-{uuid.uuid4().hex[:8]}"
    echoed = api.http.get("/api/credits/packages", headers={"X-Request-ID": mine})
    assert echoed.headers["X-Request-ID"] == mine
    junk = api.http.get("/api/health/live", headers={"X-Request-ID": "bad id\twith junk"})
    assert junk.headers["X-Request-ID"] != "bad id\twith junk"
    assert _logged_request(api_server, mine)["route"] == "/api/credits/packages"


def _logged_request(app: RunningApp, request_id: str) -> dict[str, object]:
    """The app's JSON access-log line for that request (the log is written as it happens)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in app.log_file.read_text(errors="replace").splitlines():
            if request_id in line and line.startswith("{"):
                entry: dict[str, object] = json.loads(line)
                if entry.get("request_id") == request_id:
                    return entry
        time.sleep(0.1)
    raise AssertionError(f"no JSON log line with request_id {request_id}")
