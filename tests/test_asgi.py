"""``daifuku.asgi``: Django's WSGI application served to ASGI servers through a2wsgi's thread pool."""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.testing import ApplicationCommunicator


def _request(
    method: str, path: str, body: bytes = b"", query: bytes = b"", headers: tuple = ()
) -> tuple[int, dict, bytes]:
    from daifuku.asgi import application

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode()), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def run() -> tuple[int, dict, bytes]:
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
        start = await communicator.receive_output(timeout=20)
        chunks = []
        while True:
            message = await communicator.receive_output(timeout=20)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await communicator.wait(timeout=5)
        return start["status"], dict(start["headers"]), b"".join(chunks)

    # A thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


@pytest.mark.django_db(transaction=True)
def test_asgi_application_serves_django_pages_and_the_api(seeded):
    # when
    login_status, login_headers, login_body = _request("GET", "/login/", query=b"next=/")
    api_status, _headers, api_body = _request("GET", "/api/v1/companies")
    # then
    assert login_status == 200
    assert login_headers[b"content-type"].startswith(b"text/html")
    assert b'name="username"' in login_body
    assert api_status == 401  # no token: the API answers, in JSON
    assert api_body.startswith(b"{")


@pytest.mark.django_db(transaction=True)
def test_asgi_application_passes_request_bodies_to_the_api(seeded):
    # given
    from daifuku.core.services import token_create
    from daifuku.customers.models import Company
    from tests.factories import UserFactory

    user = UserFactory(username="asgi_admin", role="administrator")
    token = token_create(user=user, name="asgi")
    body = json.dumps({"name": "経由商事", "name_kana": "ケイユショウジ"}).encode()
    headers = ((b"authorization", f"Bearer {token}".encode()), (b"content-type", b"application/json"))
    # when
    status, _headers, answer = _request("POST", "/api/v1/companies", body=body, headers=headers)
    # then
    assert status == 201, answer
    company = Company.objects.get(name="経由商事")
    assert json.loads(answer)["id"] == company.pk
    assert company.owner == user
