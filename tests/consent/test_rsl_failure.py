"""A page answering RSL's licence-required response (CAP: 401 + WWW-Authenticate: License)."""

from __future__ import annotations

from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.items import failure_reasons

URL = "http://paywall.test/article.html"


def _http_error(status: int, headers: dict[str, str]) -> HttpError:
    response = Response(URL, status=status, headers=headers, request=Request(URL))
    return HttpError(response, "Ignoring non-200 response")


def test_401_with_a_license_challenge_is_license_required() -> None:
    # rslstandard.org/guide/web-crawlers, "HTTP 401 Unauthorized Response"
    challenge = (
        'License error="invalid_request", '
        'error_description="Access to this resource requires a valid license"'
    )
    assert failure_reasons(_http_error(401, {"WWW-Authenticate": challenge})) == [
        "rsl:license-required"
    ]


def test_401_with_another_scheme_stays_a_fetch_failure() -> None:
    assert failure_reasons(_http_error(401, {"WWW-Authenticate": 'Basic realm="x"'})) == [
        "fetch:http-401"
    ]
    assert failure_reasons(_http_error(401, {})) == ["fetch:http-401"]


def test_a_license_challenge_on_another_status_is_not_rsl() -> None:
    assert failure_reasons(_http_error(403, {"WWW-Authenticate": "License"})) == ["fetch:http-403"]
