"""The deployment files under deploy/, checked offline: a broken manifest fails CI, not a rollout.

Kubernetes manifests are rendered with kustomize and validated against the Kubernetes schemas
(and KEDA's resources against the minimal schemas in deploy/schemas/); the compose file against
the Compose specification; alert rules with promtool, including their unit tests; the dashboard
and the alerts against the metric names the processes export. Checks that need kubectl or
promtool fail in CI when the binary is missing and are skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from consumers import NAMES as CONSUMERS
from infra.config import Settings
from infra.messaging.rabbit import Names

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SCHEMAS = DEPLOY / "schemas"
KUBERNETES_VERSION = "1.32.0"
IN_CI = os.environ.get("CI") == "true"

# What the processes export (deploy/README.md has the same list, with what each means).
METRICS = {
    "hotelbot_updates_total": "counter",
    "hotelbot_update_seconds": "histogram",
    "hotelbot_bookings_total": "counter",
    "hotelbot_payment_seconds": "histogram",
    "hotelbot_breaker_open": "gauge",
    "hotelbot_outbox_backlog": "gauge",
    "hotelbot_outbox_oldest_age_seconds": "gauge",
    "hotelbot_deliveries_total": "counter",
    "hotelbot_queue_depth": "gauge",
    "hotelbot_dead_letters": "gauge",
    "hotelbot_telegram_calls_total": "counter",
    "hotelbot_telegram_429_total": "counter",
    "hotelbot_scheduler_runs_total": "counter",
    "hotelbot_webhook_set": "gauge",
}
ALERTS = {
    "DeadLettersWaiting",
    "OutboxStuck",
    "PaymentBreakerOpen",
    "ConsumerBacklogGrowing",
    "SchedulerFailing",
    "NoUpdatesWhileWebhookSet",
    "ProcessDown",
}
# process -> the arguments after `hotelbot`
PROCESSES = {
    "gateway": ["api"],
    **{f"consumer-{name}": ["consume", name] for name in CONSUMERS},
    "scheduler": ["scheduler"],
    "relay": ["relay"],
}
SECRET_KEYS = {"DATABASE_URL", "AMQP_URL", "TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "JWT_SECRET"}


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        # kubectl is not a Debian package here: where a machine lacks it, CI says so (.ci/run) and
        # skips the kustomize build; promtool is installed by .ci/run, so its absence is a failure.
        if IN_CI and name != "kubectl":
            pytest.fail(f"{name} is not installed: with CI=true this check is required, not skipped")
        pytest.skip(f"{name} is not installed: this check runs in CI (CI=true), where it is required")
    return path


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{shlex.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@cache
def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text())


# --- Kubernetes -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    out = run(binary("kubectl"), "kustomize", str(K8S)).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


KEDA_SCHEMAS = {"ScaledObject": "keda-scaledobject.json", "TriggerAuthentication": "keda-triggerauthentication.json"}


def validate_manifest(doc: dict[str, Any]) -> None:
    if doc["apiVersion"].startswith("keda.sh/"):
        jsonschema.validate(doc, schema(KEDA_SCHEMAS[doc["kind"]]))
    else:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_every_rendered_manifest_is_valid_for_kubernetes(rendered: list[dict[str, Any]]) -> None:
    assert {d["kind"] for d in rendered} >= {"Deployment", "Service", "PodDisruptionBudget", "Job", "ScaledObject"}
    problems = []
    for doc in rendered:
        try:
            validate_manifest(doc)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as e:
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {e.message} at {list(e.path)}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{doc['kind']} ({doc['apiVersion']}): no schema, in Kubernetes' or deploy/schemas")
    assert not problems, "\n".join(problems)


def test_the_validators_reject_a_misspelt_field(rendered: list[dict[str, Any]]) -> None:
    deployment = dict(of_kind(rendered, "Deployment")["relay"])
    deployment["spec"] = {**deployment["spec"], "replica": 2}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_manifest(deployment)
    scaled = of_kind(rendered, "ScaledObject")["consumer-view"]
    trigger = {**scaled["spec"]["triggers"][0], "metadata": {"queuName": "hotelbot.view", "value": "200"}}
    with pytest.raises(jsonschema.ValidationError):
        validate_manifest({**scaled, "spec": {**scaled["spec"], "triggers": [trigger]}})


def test_every_process_has_a_deployment_running_its_command(rendered: list[dict[str, Any]]) -> None:
    deployments = of_kind(rendered, "Deployment")
    assert set(deployments) == set(PROCESSES)
    for name, args in PROCESSES.items():
        c = container(deployments[name])
        assert "command" not in c, f"{name}: keep the image's entrypoint (hotelbot); set args"
        assert c["args"] == args, name
    (job,) = of_kind(rendered, "Job").values()
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_probes_ask_healthz_and_readyz_on_the_health_port(rendered: list[dict[str, Any]]) -> None:
    for name, deployment in of_kind(rendered, "Deployment").items():
        c = container(deployment)
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        expected_port = 8080 if name == "gateway" else 9090
        for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = c[probe]["httpGet"]
            assert get["path"] == path, f"{name} {probe}"
            assert ports.get(get["port"], get["port"]) == expected_port, f"{name} {probe} port"
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(expected_port), name


def test_pods_run_as_non_root_with_limits_and_time_to_drain(rendered: list[dict[str, Any]]) -> None:
    pods = {name: d["spec"]["template"]["spec"] for name, d in of_kind(rendered, "Deployment").items()}
    pods |= {f"job/{name}": j["spec"]["template"]["spec"] for name, j in of_kind(rendered, "Job").items()}
    for name, pod in pods.items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        c = pod["containers"][0]
        assert c["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"], name
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(c["resources"][bound]), f"{name} {bound}"
        if not name.startswith("job/"):
            # a process drains for up to 30 s after SIGTERM
            assert pod["terminationGracePeriodSeconds"] >= 60, name


def test_secrets_are_only_referenced(rendered: list[dict[str, Any]]) -> None:
    assert not of_kind(rendered, "Secret"), "a Secret with values must not be part of the kustomization"
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert "secret.example.yaml" not in listed
    (config,) = of_kind(rendered, "ConfigMap").values()
    assert not SECRET_KEYS & set(config["data"]), "secret settings belong in hotelbot-secrets"
    for doc in rendered:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        for var in doc["spec"]["template"]["spec"]["containers"][0].get("env", []):
            if var["name"] in SECRET_KEYS:
                assert "value" not in var, f"{doc['metadata']['name']}: {var['name']} has a literal value"
                assert var["valueFrom"]["secretKeyRef"] == {"name": "hotelbot-secrets", "key": var["name"]}


def test_the_gateway_scales_on_cpu_and_keeps_one_pod_through_disruptions(rendered: list[dict[str, Any]]) -> None:
    hpa = of_kind(rendered, "HorizontalPodAutoscaler")["gateway"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    pdbs = of_kind(rendered, "PodDisruptionBudget")
    assert pdbs["gateway"]["spec"]["minAvailable"] == 1
    gateway = of_kind(rendered, "Deployment")["gateway"]
    assert "replicas" not in gateway["spec"], "the HPA owns the gateway's replica count"
    service = of_kind(rendered, "Service")["gateway"]
    assert service["spec"]["selector"].items() <= gateway["spec"]["template"]["metadata"]["labels"].items()


def test_each_consumer_scales_on_its_own_queue(rendered: list[dict[str, Any]]) -> None:
    (config,) = of_kind(rendered, "ConfigMap").values()
    prefix = config["data"].get("AMQP_QUEUE_PREFIX", Settings.model_fields["amqp_queue_prefix"].default)
    names = Names(prefix, config["data"].get("AMQP_EXCHANGE", "unused"))
    deployments, pdbs = of_kind(rendered, "Deployment"), of_kind(rendered, "PodDisruptionBudget")
    scaled, auths = of_kind(rendered, "ScaledObject"), of_kind(rendered, "TriggerAuthentication")
    assert set(scaled) == {f"consumer-{name}" for name in CONSUMERS}
    for consumer in CONSUMERS:
        name = f"consumer-{consumer}"
        spec = scaled[name]["spec"]
        assert spec["scaleTargetRef"]["name"] == name and name in deployments
        assert "replicas" not in deployments[name]["spec"], f"{name}: KEDA owns the replica count"
        assert spec["minReplicaCount"] >= 1
        (trigger,) = spec["triggers"]
        assert trigger["type"] == "rabbitmq"
        assert trigger["metadata"]["queueName"] == names.queue(consumer)
        assert trigger["metadata"]["mode"] == "QueueLength"
        auth = auths[trigger["authenticationRef"]["name"]]
        assert auth["spec"]["secretTargetRef"] == [{"parameter": "host", "name": "hotelbot-secrets", "key": "AMQP_URL"}]
        assert name in pdbs


# --- Compose ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    # the schema names draft-07 by an address jsonschema does not know: say it outright
    validator = jsonschema.Draft7Validator(schema("compose-spec.json"))
    validator.validate(compose)
    misspelt = {**compose["services"]["relay"], "dependson": {}}
    broken = {**compose, "services": {**compose["services"], "relay": misspelt}}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_compose_runs_every_process_after_migrations(compose: dict[str, Any]) -> None:
    services = compose["services"]
    commands = {name: s["command"] for name, s in services.items() if "command" in s}
    expected = {name.replace("consumer-", "consume-"): args for name, args in PROCESSES.items()}
    assert commands == {**expected, "migrate": ["migrate"]}
    assert services["postgres"]["image"] == "postgres:16"
    assert services["rabbitmq"]["image"] == "rabbitmq:3-management"
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["healthcheck"] == {"disable": True}
    for name in expected:
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["rabbitmq"] == {"condition": "service_healthy"}, name
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
    assert "8080/healthz" in " ".join(services["gateway"]["healthcheck"]["test"])
    for name in ("postgres", "rabbitmq"):
        assert services[name]["healthcheck"]["test"], name


def test_compose_takes_every_secret_from_the_env_file(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if key in SECRET_KEYS or "PASSWORD" in key:
                required = re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", str(value))
                assert required, f"{name}: {key}={value!r} must be ${{VAR:?...}}"
    example = (DEPLOY / ".env.example").read_text()
    defined = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", json.dumps(compose)))
    assert used <= defined, f"deploy/.env.example lacks {sorted(used - defined)}"


def test_the_env_file_is_never_committed() -> None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    assert subprocess.run(["git", "check-ignore", "-q", "deploy/.env"], cwd=ROOT).returncode == 0


# --- Prometheus -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rules() -> dict[str, dict[str, Any]]:
    groups = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def test_promtool_accepts_the_rules() -> None:
    run(binary("promtool"), "check", "rules", "deploy/prometheus/alerts.yaml")


def test_alert_rule_unit_tests_pass() -> None:
    run(binary("promtool"), "test", "rules", "deploy/prometheus/alerts_test.yaml")


def test_every_alert_says_what_it_means_and_what_to_do(rules: dict[str, dict[str, Any]]) -> None:
    assert set(rules) == ALERTS
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"].strip(), name
        assert len(rule["annotations"]["description"]) > 80, name


def test_every_alert_has_a_firing_and_a_quiet_test_case() -> None:
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts_test.yaml").read_text())["tests"]
    cases = [case for test in tests for case in test["alert_rule_test"]]
    for alert in ALERTS:
        outcomes = {bool(c["exp_alerts"]) for c in cases if c["alertname"] == alert}
        assert outcomes == {True, False}, f"{alert}: needs a firing and a not-firing case"


def metric_names(promql: str) -> set[str]:
    names = set(re.findall(r"\bhotelbot_[a-z0-9_]+", promql))
    return {re.sub(r"_(bucket|sum|count)$", "", n) if n.endswith(("_bucket", "_sum", "_count")) else n for n in names}


def test_alerts_use_only_exported_metrics(rules: dict[str, dict[str, Any]]) -> None:
    used = set().union(*(metric_names(rule["expr"]) for rule in rules.values()))
    assert used <= set(METRICS), f"unknown metrics in alerts: {sorted(used - set(METRICS))}"


# --- Grafana ----------------------------------------------------------------------------


def test_dashboard_shows_every_metric_through_the_templated_datasource() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "hotelbot.json").read_text())
    (variable,) = [v for v in dashboard["templating"]["list"] if v["name"] == "DS_PROMETHEUS"]
    assert variable["type"] == "datasource" and variable["query"] == "prometheus"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    used: set[str] = set()
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, panel["title"]
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"]), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
            names = metric_names(target["expr"])
            for name in names:
                if METRICS.get(name) == "histogram":
                    assert f"{name}_bucket" in target["expr"], f"{panel['title']}: a histogram is read by its buckets"
            used |= names
    assert used <= set(METRICS), f"unknown metrics on the dashboard: {sorted(used - set(METRICS))}"
    assert used == set(METRICS), f"not on the dashboard: {sorted(set(METRICS) - used)}"


def test_the_readme_explains_every_metric_and_alert() -> None:
    readme = (DEPLOY / "README.md").read_text()
    missing = [name for name in [*METRICS, *ALERTS] if f"`{name}" not in readme]
    assert not missing, f"deploy/README.md does not explain {missing}"


# --- Dockerfile -------------------------------------------------------------------------


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (INSTRUCTION, arguments), continuation lines joined, ARGs resolved."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    args: dict[str, str] = {}
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "ARG" and not stages:
            key, _, default = rest.partition("=")
            args[key.strip()] = default.strip()
            continue
        if instruction == "FROM":
            rest = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), rest)
            stages.append([])
        stages[-1].append((instruction, rest))
    return stages


def test_dockerfile_builds_in_one_stage_and_runs_unprivileged_in_another() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    first, final = stages[0], stages[-1]
    assert re.fullmatch(r"python:3\.11-slim\s+AS\s+build", first[0][1], re.IGNORECASE)
    assert final[0][1].lower().startswith("python:3.11-slim"), "the final stage starts from the slim image too"
    install = " ".join(rest for instruction, rest in first if instruction == "RUN")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -e ." in install and "pip install -q -e '.[dev]'" in ci, "install as CI does (editable)"
    final_by = {instruction: rest for instruction, rest in final}
    user = final_by["USER"].split(":")[0]
    assert user not in ("root", "0"), "the final stage runs as a non-root user"
    assert user.isdigit(), "a numeric uid lets Kubernetes verify runAsNonRoot"
    health = final_by["HEALTHCHECK"]
    assert "python" in health and "/healthz" in health and "curl" not in health
    assert json.loads(final_by["ENTRYPOINT"]) == ["hotelbot"]
    assert json.loads(final_by["CMD"]) == ["run"]
    assert set(final_by["EXPOSE"].split()) == {"8080", "9090"}
    assert any(i == "COPY" and "--from=build" in rest for i, rest in final), "the final stage takes the build's result"
