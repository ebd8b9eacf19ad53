"""Linkrunner Data API client over real HTTP against the bundled emulator."""

from __future__ import annotations

import logging

import pytest

from lr_desktop.clevertap.endpoint import EndpointRefused
from lr_desktop.emulators.linkrunner import ONE_CAMPAIGN, LinkrunnerEmulator
from lr_desktop.linkrunner.client import (
    KEY_REJECTED,
    BadAnswer,
    KeyRejected,
    LinkrunnerClient,
    LinkrunnerUnavailable,
    NotFound,
    RetryPolicy,
    TokenBucket,
    parse_page,
)

KEY = "lr-test-key-7Hq2"
FAST = RetryPolicy(max_retries=4, backoff_base=0.001, backoff_cap=0.005)


@pytest.fixture
def emu():
    with LinkrunnerEmulator(KEY, seed=1, users=2500, one_campaign=True) as e:
        yield e


def client(emu: LinkrunnerEmulator, **kw) -> LinkrunnerClient:
    kw.setdefault("retry", FAST)
    kw.setdefault("requests_per_second", None)
    return LinkrunnerClient(kw.pop("key", KEY), base_url=emu.url, seed=0, **kw)


def ids(pages) -> list[str]:
    return [r["user_data"]["id"] for p in pages for r in p.records]


def test_pages_until_the_last_one(emu):
    with client(emu) as c:
        pages = list(c.iter_attributed_users(display_id=ONE_CAMPAIGN, limit=1000))
    assert [len(p.records) for p in pages] == [1000, 1000, 500]
    assert sorted(ids(pages)) == sorted(emu.user_ids())
    assert pages[0].total == 2500


def test_exact_multiple_stops_without_an_extra_request(emu):
    emu.add_users(500)  # 3000 users, 3 full pages
    with client(emu) as c:
        pages = list(c.iter_attributed_users(display_id=ONE_CAMPAIGN, limit=1000))
        assert len(pages) == 3 and c.requests == 3
    assert len(set(ids(pages))) == 3000


def test_time_window_is_inclusive_and_filters(emu):
    emu.add_users(7, attributed_at=2_000_000_000)
    emu.add_users(3, attributed_at=2_000_000_100)
    with client(emu) as c:
        pages = list(
            c.iter_attributed_users(
                display_id=ONE_CAMPAIGN, limit=5, start=2_000_000_000, end=2_000_000_099
            )
        )
    assert len(ids(pages)) == 7 and [len(p.records) for p in pages] == [5, 2]


@pytest.mark.parametrize(
    "body",
    [
        [{"a": 1}],
        {"data": [{"a": 1}]},
        {"users": [{"a": 1}]},
        {"data": {"users": [{"a": 1}], "pagination": {"total": 1, "pages": 1}}},
    ],
)
def test_tolerates_envelopes(body):
    page = parse_page(1, 10, body)
    assert page.records == [{"a": 1}]


def test_unusable_answer_is_refused():
    with pytest.raises(BadAnswer):
        parse_page(1, 10, {"data": {"nothing": 1}})


def test_page_size_the_server_names_wins():
    # A server capping pages at 100 when asked for 1000: a 100-row page is not "short".
    page = parse_page(1, 1000, {"data": {"users": [{}] * 100, "pagination": {"limit": 100}}})
    assert page.limit == 100


def test_bad_key_is_a_clear_error_without_the_key(emu, caplog):
    caplog.set_level(logging.DEBUG)
    with client(emu, key="wrong-key-XYZ") as c, pytest.raises(KeyRejected) as err:
        c.attributed_users_page(1, display_id=ONE_CAMPAIGN)
    assert str(err.value) == KEY_REJECTED
    assert "wrong-key-XYZ" not in caplog.text
    assert emu.stats()["unauthorised"] == 1


def test_key_never_in_urls_logs_or_repr(emu, caplog):
    caplog.set_level(logging.DEBUG)
    emu.fail_next(503)
    with client(emu) as c:
        list(c.iter_attributed_users(display_id=ONE_CAMPAIGN, limit=1000))
        assert KEY not in repr(c)
        assert KEY not in repr(c._http.auth)
    assert caplog.text and KEY not in caplog.text


def test_missing_or_odd_key_refused_before_any_request():
    with pytest.raises(KeyRejected):
        LinkrunnerClient("  ")
    with pytest.raises(KeyRejected) as err:
        LinkrunnerClient("abc\r\nX-Evil: 1")
    assert "abc" not in str(err.value)


@pytest.mark.parametrize(
    "url", ["https://api.example.com", "http://10.0.0.1:8080", "http://127.0.0.1@evil.com"]
)
def test_override_must_be_loopback(url):
    with pytest.raises(EndpointRefused):
        LinkrunnerClient(KEY, base_url=url)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 0])
def test_transient_failures_are_retried(emu, status):
    emu.fail_next(status, times=3)
    with client(emu) as c:
        page = c.attributed_users_page(1, display_id=ONE_CAMPAIGN, limit=10)
        assert len(page.records) == 10 and c.retries == 3


def test_retries_run_out(emu):
    emu.fail_next(503, times=10)
    with client(emu) as c, pytest.raises(LinkrunnerUnavailable) as err:
        c.attributed_users_page(1, display_id=ONE_CAMPAIGN)
    assert "HTTP 503" in str(err.value) and KEY not in str(err.value)


def test_other_client_errors_are_not_retried(emu):
    emu.fail_next(400)
    with client(emu) as c, pytest.raises(BadAnswer):
        c.attributed_users_page(1, display_id=ONE_CAMPAIGN)
    assert c.requests == 1


def test_client_stays_under_the_rate_limit(emu):
    emu.rate_limit = 20
    with client(emu, requests_per_second=15) as c:
        pages = list(c.iter_attributed_users(display_id=ONE_CAMPAIGN, limit=100))  # 25 requests
    assert len(pages) == 25
    stats = emu.stats()
    assert stats["rate_limited"] == 0
    assert stats["max_requests_per_second"] <= 20


def test_emulator_429_is_retried_until_the_window_frees(emu):
    emu.rate_limit = 5
    retry = RetryPolicy(
        max_retries=100, backoff_base=0.02, backoff_cap=0.1, honour_retry_after=False
    )
    with client(emu, retry=retry) as c:
        pages = list(
            c.iter_attributed_users(display_id=ONE_CAMPAIGN, limit=250)
        )  # 10 requests, limit 5/s
    assert sorted(ids(pages)) == sorted(emu.user_ids())
    assert emu.stats()["rate_limited"] > 0


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_token_bucket_spacing():
    import threading

    clock = FakeClock()
    bucket = TokenBucket(10, burst=2, clock=clock)
    no_wait = threading.Event()
    no_wait.set()  # acquire() gives up instead of waiting: the fake clock never moves by itself
    assert bucket.acquire(no_wait) and bucket.acquire(no_wait)
    assert bucket.acquire(no_wait) is False
    clock.t = 0.1  # one token refilled
    assert bucket.acquire(no_wait)
    assert bucket.acquire(no_wait) is False


def test_campaigns_are_walked_page_by_page(emu):
    emu.add_campaign("extra-1", "Extra one")
    emu.add_campaign("extra-2", "Extra two")  # 8 campaigns in all
    with client(emu) as c:
        pages = list(c.iter_campaigns(limit=3))
        assert [len(p.records) for p in pages] == [3, 3, 2] and c.requests == 3
        listed = [r["display_id"] for p in pages for r in p.records]
        assert listed == [x["display_id"] for x in emu.campaigns()]
        tiktok = [r["display_id"] for p in c.iter_campaigns(channel="TIKTOK") for r in p.records]
    assert tiktok == ["tt-spark"]


def test_display_id_is_required_and_sent(emu):
    with client(emu) as c:
        with pytest.raises(ValueError):
            c.attributed_users_page(1, display_id="")
        assert c.attributed_users_page(1, display_id=ONE_CAMPAIGN, limit=3).total == 2500
        assert c.attributed_users_page(1, display_id="g-uac").total == 0


def test_a_campaign_that_is_gone_reads_as_not_found(emu):
    emu.remove_campaign(ONE_CAMPAIGN)
    with client(emu) as c, pytest.raises(NotFound):
        c.attributed_users_page(1, display_id=ONE_CAMPAIGN)
    assert c.requests == 1  # not retried
