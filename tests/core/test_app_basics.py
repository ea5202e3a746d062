"""The service's cross-cutting behaviour: health, metrics, error shape, security headers."""


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_metrics_counts_by_route_pattern(client):
    client.get("/healthz")
    body = client.get("/metrics").text
    assert 'praca_http_requests_total{method="GET",route="/healthz",status="200"}' in body


def test_unknown_api_path_uses_the_one_error_body(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert set(r.json()) == {"error"}
    assert set(r.json()["error"]) == {"code", "message", "details"}


def test_security_headers(client):
    r = client.get("/healthz")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
