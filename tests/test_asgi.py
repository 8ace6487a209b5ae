"""``daifuku.asgi``: Django's WSGI application served to ASGI servers from a fixed pool of threads."""

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


def _bridge_messages(view, path: str = "/x") -> tuple[list[dict], list[str]]:
    """The ASGI messages a ThreadPoolBridge sends for a WSGI application answering with ``view()``, and
    the names of the threads that produced the body and closed the response."""
    import threading

    from daifuku.asgi import ThreadPoolBridge

    threads: list[str] = []

    def wsgi_app(environ, start_response):
        response = view(threads)
        start_response(f"{response.status_code} OK", list(response.items()))
        original_close = response.close

        def close():
            threads.append("closed in " + threading.current_thread().name)
            original_close()

        response.close = close
        return response

    bridge = ThreadPoolBridge(wsgi_app, workers=2)
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def run() -> list[dict]:
        communicator = ApplicationCommunicator(bridge, scope)
        await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
        messages = [await communicator.receive_output(timeout=10)]
        while messages[-1]["type"] == "http.response.start" or messages[-1].get("more_body"):
            messages.append(await communicator.receive_output(timeout=10))
        await communicator.wait(timeout=5)
        return messages

    with ThreadPoolExecutor(max_workers=1) as pool:
        messages = pool.submit(asyncio.run, run()).result()
    bridge.executor.shutdown()
    return messages, threads


def test_bridge_sends_a_whole_response_at_once_with_its_length():
    from django.http import HttpResponse

    # when
    messages, threads = _bridge_messages(
        lambda threads: HttpResponse("大福帳".encode(), content_type="text/plain")
    )
    # then: the start and the whole body, nothing more; closed in a pool thread
    assert [m["type"] for m in messages] == ["http.response.start", "http.response.body"]
    assert messages[0]["status"] == 200
    assert (b"content-length", b"9") in messages[0]["headers"]
    assert (b"content-type", b"text/plain") in messages[0]["headers"]
    assert messages[1] == {"type": "http.response.body", "body": "大福帳".encode()}
    assert len(threads) == 1 and threads[0].startswith("closed in WSGI")


def test_bridge_streams_a_streamed_response_chunk_by_chunk_from_its_thread():
    import threading

    from django.http import StreamingHttpResponse

    def view(threads):
        def chunks():
            for n in range(3):
                threads.append(f"chunk {n} in " + threading.current_thread().name)
                yield f"行{n}\n".encode()

        return StreamingHttpResponse(chunks(), content_type="text/csv", status=200)

    # when
    messages, threads = _bridge_messages(view)
    # then: one message per chunk (no length: the size is not known before the end), then the end
    assert [m["type"] for m in messages] == ["http.response.start"] + ["http.response.body"] * 4
    assert not any(name == b"content-length" for name, _value in messages[0]["headers"])
    assert [m["body"] for m in messages[1:]] == ["行0\n".encode(), "行1\n".encode(), "行2\n".encode(), b""]
    assert [m.get("more_body", False) for m in messages[1:]] == [True, True, True, False]
    # the chunks were made, and the response closed, in the request's own pool thread
    thread_names = {line.rsplit(" in ", 1)[1] for line in threads}
    assert len(thread_names) == 1 and thread_names.pop().startswith("WSGI")
    assert threads[-1].startswith("closed in ")


def test_bridge_answers_the_lifespan_protocol():
    from daifuku.asgi import application

    async def run() -> list[dict]:
        communicator = ApplicationCommunicator(application, {"type": "lifespan"})
        await communicator.send_input({"type": "lifespan.startup"})
        started = await communicator.receive_output(timeout=5)
        await communicator.send_input({"type": "lifespan.shutdown"})
        stopped = await communicator.receive_output(timeout=5)
        return [started, stopped]

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, run()).result() == [
            {"type": "lifespan.startup.complete"},
            {"type": "lifespan.shutdown.complete"},
        ]


def test_bridge_under_uvicorn_answers_with_a_length_or_in_chunks_over_http():
    # given: the bridge served by a real uvicorn server on loopback (a thread of this process)
    import http.client
    import socket
    import threading
    import time

    import uvicorn
    from django.http import HttpResponse, StreamingHttpResponse

    from daifuku.asgi import ThreadPoolBridge

    def wsgi_app(environ, start_response):
        if environ["PATH_INFO"] == "/stream":
            response = StreamingHttpResponse(
                (f"{n},行\n".encode() for n in range(1000)), content_type="text/csv"
            )
        else:
            response = HttpResponse(f"{environ['REQUEST_METHOD']} 大福帳".encode(), content_type="text/plain")
        start_response(f"{response.status_code} OK", list(response.items()))
        return response

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bridge = ThreadPoolBridge(wsgi_app, workers=2)
    server = uvicorn.Server(
        uvicorn.Config(bridge, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        # when: a whole response, a streamed one and a whole one again on the same connection
        conn.request("GET", "/whole")
        whole = conn.getresponse()
        whole_body = whole.read()
        conn.request("GET", "/stream")
        streamed = conn.getresponse()
        streamed_body = streamed.read()
        conn.request("POST", "/again", body=b"x" * 10)
        again = conn.getresponse()
        again_body = again.read()
        conn.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        bridge.executor.shutdown()
    # then: the whole one with its length, the streamed one chunked, all of it, in order
    assert (whole.status, whole_body) == (200, "GET 大福帳".encode())
    assert whole.getheader("Content-Length") == str(len(whole_body))
    assert streamed.status == 200 and streamed.getheader("Transfer-Encoding") == "chunked"
    assert streamed_body == b"".join(f"{n},行\n".encode() for n in range(1000))
    assert (again.status, again_body) == (200, "POST 大福帳".encode())
