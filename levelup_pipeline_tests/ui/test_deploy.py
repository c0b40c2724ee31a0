"""The deploy/ examples stay consistent with the code and with each other: a valid Dagster
instance config, one run per player, the API budget respected, every setting the code reads
passed to the run containers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

from levelup_pipeline.config import PROJECT_ROOT
from levelup_pipeline.definitions import SECRET_ENV
from levelup_pipeline.halo.ratelimit import DEFAULT_RPS

DEPLOY = PROJECT_ROOT / "deploy"
ONE_RUN_PER_PLAYER = {
    "key": "dagster/partition",
    "value": {"applyLimitPerUniqueValue": True},
    "limit": 1,
}
# SQLAlchemy 2.1 resolves a bare "postgresql" scheme to psycopg 3, which Dagster's NOTIFY breaks on.
PSYCOPG2 = "postgresql+psycopg2"
PIPELINE_ENV = {"LEVELUP_DATA_DIR", "LEVELUP_TOKEN_FILE", "LEVELUP_HALO_RPS"}


def _yaml(path: str) -> dict:
    return yaml.safe_load((DEPLOY / path).read_text())


@pytest.fixture
def docker_instance_config(tmp_path: Path, monkeypatch) -> dict:
    for var in ("HOST", "USER", "PASSWORD", "DB"):
        monkeypatch.setenv(f"DAGSTER_POSTGRES_{var}", "x")
    shutil.copy(DEPLOY / "docker" / "dagster.yaml", tmp_path / "dagster.yaml")
    config, _custom = dagster_instance_config(str(tmp_path))
    return config


def test_docker_instance_config_is_valid_and_keeps_one_writer_per_player(docker_instance_config):
    config = docker_instance_config
    assert config["storage"]["postgres"]["postgres_db"]["scheme"] == PSYCOPG2
    assert config["run_launcher"]["class"] == "DockerRunLauncher"
    assert ONE_RUN_PER_PLAYER in config["concurrency"]["runs"]["tag_concurrency_limits"]


def test_docker_runs_get_every_setting_the_pipeline_reads(docker_instance_config):
    launcher = docker_instance_config["run_launcher"]["config"]
    # Direct Spartan/clearance tokens last ~4 h: a deployment refreshes from the Azure app.
    refresh_secrets = {v for v in SECRET_ENV.values() if v.startswith("SPNKR_")}
    assert PIPELINE_ENV | refresh_secrets <= set(launcher["env_vars"])
    compose = _yaml("docker/docker-compose.yml")
    mounted = {v.split(":")[0] for v in launcher["container_kwargs"]["volumes"]}
    assert mounted <= {v.get("name") for v in compose["volumes"].values() if v}
    assert launcher["network"] in {n["name"] for n in compose["networks"].values()}


def test_api_budget_is_shared_not_multiplied():
    """pool slots x per-run rate stays within the single-machine default budget."""
    env = dict(
        line.split("=", 1)
        for line in (DEPLOY / "docker" / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    docker_pool = _yaml("docker/dagster.yaml")["concurrency"]["pools"]["default_limit"]
    assert docker_pool * float(env["LEVELUP_HALO_RPS"]) <= DEFAULT_RPS

    values = _yaml("helm/values.yaml")
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    helm_rps = next(e["value"] for e in deployment["env"] if e["name"] == "LEVELUP_HALO_RPS")
    assert values["concurrency"]["pools"]["defaultLimit"] * float(helm_rps) <= DEFAULT_RPS
    assert ONE_RUN_PER_PLAYER in values["concurrency"]["runs"]["tagConcurrencyLimits"]
    assert values["postgresql"]["postgresqlScheme"] == PSYCOPG2
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "levelup_pipeline.definitions"]


def test_compose_workspace_and_image_agree():
    workspace = _yaml("docker/workspace.yaml")["load_from"][0]["grpc_server"]
    compose = _yaml("docker/docker-compose.yml")
    assert workspace["host"] in compose["services"]
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()
    assert f'"-p", "{workspace["port"]}"' in dockerfile
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.M):
        for path in source.split():
            assert (PROJECT_ROOT / path).exists(), f"Dockerfile copies missing {path}"
