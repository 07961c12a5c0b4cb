"""deploy/embedded.py: the embedded default's processes share one connection budget and one
bell socket, and only the page process keeps Reflex state, runs jobs and listens."""

from pathlib import Path

from credits_app.db import pool_plan
from credits_app.settings import Settings
from deploy import embedded


def test_the_page_and_api_processes_split_the_budget_and_share_the_bell_socket(
    tmp_path: Path,
) -> None:
    shared, processes = embedded.plan({"DB_MAX_CONNECTIONS": "20"}, tmp_path, 3000)
    pages, api, haproxy = (p.environment(shared) for p in processes)
    assert int(pages["DB_MAX_CONNECTIONS"]) + int(api["DB_MAX_CONNECTIONS"]) == 20
    assert pages["BACKEND_WORKERS"] == "1" and "PROCESS_ROLE" not in pages
    assert api["PROCESS_ROLE"] == "api" and api["JOBS_WORKER_IN_APP"] == "false"
    assert pages["LIVE_SIGNAL_SOCKET"] == api["LIVE_SIGNAL_SOCKET"] == haproxy["LIVE_SIGNAL_SOCKET"]
    assert pages["PROMETHEUS_MULTIPROC_DIR"] == api["PROMETHEUS_MULTIPROC_DIR"]
    assert Path(api["PROMETHEUS_MULTIPROC_DIR"]).is_dir()


def test_an_explicit_backend_workers_applies_to_the_page_process_never_to_the_api(
    tmp_path: Path,
) -> None:
    shared, (pages, api, _) = embedded.plan({"BACKEND_WORKERS": "3"}, tmp_path, 3000)
    assert pages.environment(shared)["BACKEND_WORKERS"] == "1"
    api_env = api.environment(shared)
    assert "BACKEND_WORKERS" not in api_env
    settings = Settings.model_validate(
        {"process_role": "api", "db_max_connections": api_env["DB_MAX_CONNECTIONS"]}
    )
    assert pool_plan(settings, cpu_count=2).workers == 2


def test_haproxy_sends_api_paths_to_the_api_process_and_the_rest_to_the_pages() -> None:
    config = embedded.render_haproxy_config(3000, 3001, 3002)
    assert "bind 0.0.0.0:3000" in config
    assert "use_backend api if { path_beg /api/ }" in config
    assert "server api 127.0.0.1:3002" in config and "server pages 127.0.0.1:3001" in config


def test_the_procfile_line_unsets_and_sets_the_process_environment() -> None:
    process = embedded.Process("api", ["python", "-m", "x"], {"A": "1"}, unset=("B",))
    assert process.procfile_line() == "api: env -u B A=1 python -m x"
    assert process.environment({"B": "2", "C": "3"}) == {"C": "3", "A": "1"}
