"""The Mini App over HTTP: sessions from initData and links, and every refusal."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bot.web.auth import sign_link
from tests.web.conftest import GROUP, OTHER, USER, Web, add_story, open_session, subscribe_chat


async def test_valid_init_data_opens_todays_digest(web: Web) -> None:
    await subscribe_chat(web.store, USER)
    await add_story(web.store, datetime.now(UTC) - timedelta(minutes=1), "Harbour bridge reopens")
    async with web.client() as client:
        answer = await open_session(client, web.init_data())
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"next": f"/app/c/{USER}/digest"}
        page = await client.get(f"/app/c/{USER}/digest")
        again = await client.get("/app/")  # opened again in this browser: back to the chat
    assert page.status_code == 200
    assert "Harbour bridge reopens" in page.text
    assert 'digest" aria-current="page">Today' in page.text
    assert f'data-resume="/app/c/{USER}/digest"' in again.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


async def test_forged_init_data_is_refused(web: Web) -> None:
    forged = web.init_data().replace("Ann", "Bob")
    async with web.client() as client:
        answer = await open_session(client, forged)
        assert answer.status_code == 403
        assert (await client.get(f"/app/c/{USER}/digest")).status_code == 401


async def test_init_data_signed_with_another_token_is_refused(web: Web) -> None:
    from bot.web.auth import sign_init_data

    other = sign_init_data(
        "123:another-token", {"auth_date": str(int(time.time())), "user": '{"id":501}'}
    )
    async with web.client() as client:
        assert (await open_session(client, other)).status_code == 403


async def test_expired_init_data_is_refused(web: Web) -> None:
    old = web.init_data(age=web.settings.web_init_max_age + 5)
    async with web.client() as client:
        assert (await open_session(client, old)).status_code == 403


async def test_replayed_init_data_is_refused(web: Web) -> None:
    data = web.init_data()
    async with web.client() as first:
        assert (await open_session(first, data)).status_code == 200
    async with web.client() as second:
        answer = await open_session(second, data)
        assert answer.status_code == 403
        assert "used already" in answer.json()["error"]


async def test_session_post_without_xsrf_is_refused(web: Web) -> None:
    async with web.client() as client:
        answer = await client.post("/app/session", data={"init_data": web.init_data()})
    assert answer.status_code == 403


async def test_another_chats_id_in_the_url_is_refused(web: Web) -> None:
    await subscribe_chat(web.store, OTHER)
    secret = await add_story(
        web.store, datetime.now(UTC), "Other chat only", feed_url="https://other.example/feed"
    )
    async with web.client() as client:
        await open_session(client, web.init_data())
        for path in (
            "digest",
            "archive",
            "search?q=other",
            "settings",
            "sources",
            f"article/{secret}",
        ):
            page = await client.get(f"/app/c/{OTHER}/{path}")
            assert page.status_code == 403, path
            assert "Other chat only" not in page.text


async def test_article_of_a_feed_the_chat_does_not_read_is_not_found(web: Web) -> None:
    await subscribe_chat(web.store, USER)
    mine = await add_story(web.store, datetime.now(UTC), "Mine")
    await subscribe_chat(web.store, OTHER)
    from news.storage import sources
    from news.storage.feeds import add_feed

    feed, _ = await add_feed(web.store, "https://private.example/feed", now=datetime.now(UTC))
    secret = await add_story(
        web.store, datetime.now(UTC), "Not mine", feed_url="https://private.example/feed"
    )
    async with web.store.begin() as conn:
        await sources.remove(conn, USER, [feed.id])
    async with web.client() as client:
        await open_session(client, web.init_data())
        assert (await client.get(f"/app/c/{USER}/article/{mine}")).status_code == 200
        assert (await client.get(f"/app/c/{USER}/article/{secret}")).status_code == 404


async def test_group_archive_only_for_members(web: Web) -> None:
    web.api.state.left.add((GROUP, OTHER))
    async with web.client() as client:
        member = await open_session(client, web.init_data(USER, start_param=str(GROUP)))
        assert member.status_code == 200
        assert (await client.get(f"/app/c/{GROUP}/archive")).status_code == 200
    async with web.client() as client:
        outsider = await open_session(client, web.init_data(OTHER, start_param=str(GROUP)))
        assert outsider.status_code == 403


async def test_signed_link_opens_its_chat_and_expires(web: Web) -> None:
    token = web.settings.telegram_token.get_secret_value()  # type: ignore[union-attr]
    good = sign_link(token, USER, USER, expires=int(time.time()) + 60)
    async with web.client() as client:
        answer = await client.get(f"/app/link/{good}")
        assert answer.status_code == 302
        assert answer.headers["location"] == f"/app/c/{USER}/digest"
        assert (await client.get(f"/app/c/{USER}/archive")).status_code == 200
    expired = sign_link(token, USER, USER, expires=int(time.time()) - 1)
    forged = (
        good.rsplit(".", 1)[0].replace(str(USER), str(OTHER), 1) + "." + good.rsplit(".", 1)[1]
    )
    async with web.client() as client:
        assert (await client.get(f"/app/link/{expired}")).status_code == 403
        assert (await client.get(f"/app/link/{forged}")).status_code == 403


async def test_settings_post_without_csrf_token_is_refused(web: Web) -> None:
    await subscribe_chat(web.store, USER)
    async with web.client() as client:
        await open_session(client, web.init_data())
        answer = await client.post(f"/app/c/{USER}/settings", data={"time1": "07:15"})
        assert answer.status_code == 403
    from news.storage.subscriptions import get_subscription

    sub = await get_subscription(web.store, USER)
    assert sub is not None
    assert sub.digest_times == ("08:00",)


async def test_feed_text_with_script_and_javascript_links_is_inert(web: Web) -> None:
    await subscribe_chat(web.store, USER)
    evil = await add_story(
        web.store,
        datetime.now(UTC),
        "<script>alert(1)</script> headline",
        url="javascript:alert(2)",
        text="<img src=x onerror=alert(3)> body",
        feed_title="<script>alert(4)</script>Feed",
    )
    async with web.client() as client:
        await open_session(client, web.init_data())
        digest = await client.get(f"/app/c/{USER}/digest")
        article = await client.get(f"/app/c/{USER}/article/{evil}")
    for page in (digest, article):
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert" in page.text
        assert 'href="javascript:' not in page.text
    assert "<img src=x" not in article.text


async def test_search_is_rate_limited(web: Web) -> None:
    await subscribe_chat(web.store, USER)
    await add_story(web.store, datetime.now(UTC), "Harbour news")
    async with web.client() as client:
        await open_session(client, web.init_data())
        codes = [
            (await client.get(f"/app/c/{USER}/search", params={"q": f"harbour {n}"})).status_code
            for n in range(web.settings.search_per_minute + 1)
        ]
    assert codes[:-1] == [200] * web.settings.search_per_minute
    assert codes[-1] == 429


async def test_search_pages_through_results_of_the_chats_feeds(web: Web) -> None:
    await subscribe_chat(web.store, USER)
    now = datetime.now(UTC)
    for n in reversed(range(7)):  # in the order they arrive (search walks ids newest first)
        await add_story(web.store, now - timedelta(minutes=n), f"Harbour report {n}")
    async with web.client() as client:
        await open_session(client, web.init_data())
        first = await client.get(f"/app/c/{USER}/search", params={"q": "harbour"})
        second = await client.get(f"/app/c/{USER}/search", params={"q": "harbour", "page": 2})
    assert first.text.count('class="snippet"') == 5
    assert 'rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    assert second.text.count('class="snippet"') == 2
    assert 'rel="prev"' in second.text
    assert 'rel="next"' not in second.text


async def test_alert_me_saves_the_search_as_an_alert(web: Web) -> None:
    from news.storage.alerts import chat_alerts

    await subscribe_chat(web.store, USER)
    async with web.client() as client:
        await open_session(client, web.init_data())
        page = await client.get(f"/app/c/{USER}/search", params={"q": "harbour"})
        xsrf = page.text.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
        answer = await client.post(f"/app/c/{USER}/alert", data={"q": "harbour", "_xsrf": xsrf})
    assert answer.status_code == 302
    assert [a.query for a in await chat_alerts(web.store, USER)] == ["harbour"]


async def test_a_group_member_reads_but_only_admins_change_settings(web: Web) -> None:
    await subscribe_chat(web.store, GROUP, chat_type="supergroup")
    web.api.state.admins[GROUP] = (OTHER, [])
    async with web.client() as client:
        await open_session(client, web.init_data(USER, start_param=str(GROUP)))
        page = await client.get(f"/app/c/{GROUP}/settings")
        xsrf = page.text.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
        refused = await client.post(
            f"/app/c/{GROUP}/settings", data={"time1": "06:00", "_xsrf": xsrf}
        )
    assert "<fieldset disabled" in page.text
    assert refused.status_code == 403
    async with web.client() as client:
        await open_session(client, web.init_data(OTHER, start_param=str(GROUP)))
        page = await client.get(f"/app/c/{GROUP}/settings")
        xsrf = page.text.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
        saved = await client.post(
            f"/app/c/{GROUP}/settings",
            data={"time1": "06:00", "timezone": "UTC", "frequency": "daily", "_xsrf": xsrf},
        )
    assert saved.status_code == 302
    from news.storage.subscriptions import get_subscription

    sub = await get_subscription(web.store, GROUP)
    assert sub is not None
    assert sub.digest_times == ("06:00",)
