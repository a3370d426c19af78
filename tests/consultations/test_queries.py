"""Threads stay fast: a page costs the same number of queries whatever the size of the thread."""
from civic.consultations import queries, services
from tests.consultations.factories import bulk_thread
from tests.helpers import counted


def two_topics(db, world):
    small = services.propose_topic(db, world.residents[0], world.home, title="小讨论", body="一个只有几条评论的议题。")
    big = services.propose_topic(db, world.residents[1], world.home, title="大讨论", body="一个有上千条评论的议题。")
    users = [a.user.id for a in world.residents]
    bulk_thread(db, small.id, users, roots=25, replies=30, seed=1)
    bulk_thread(db, big.id, users, roots=600, replies=1800, seed=2)
    return small, big, users[0]


def test_a_page_of_a_thread_costs_a_constant_number_of_queries(db, world, engine):
    small, big, me = two_topics(db, world)
    counts = {}
    for name, topic_id in (("small", small.id), ("big", big.id)):
        for sort in ("best", "newest", "oldest", "discussed"):
            for page in (1, 2):
                db.expire_all()
                with counted(engine) as statements:
                    result = queries.thread(db, topic_id, None, sort=sort, page=page, user_id=me)
                    for node in result.roots:  # walking the tree must not load anything either
                        stack = [node]
                        while stack:
                            current = stack.pop()
                            _ = (current.comment.html, current.comment.display_name, current.comment.upvotes)
                            stack.extend(current.children)
                counts[(name, sort, page)] = len(statements)
    assert len(set(counts.values())) == 1, counts
    assert set(counts.values()) == {5}


def test_pages_cover_every_top_level_comment_once_and_replies_are_capped(db, world):
    _small, big, _me = two_topics(db, world)
    seen = []
    page = queries.thread(db, big.id, None, sort="oldest", page=1)
    for number in range(1, page.pages + 1):
        result = queries.thread(db, big.id, None, sort="oldest", page=number)
        seen += [n.comment.id for n in result.roots]
        for node in result.roots:
            loaded = _size(node) - 1
            assert loaded <= queries.REPLIES_PER_ROOT
            assert result.hidden_replies(node) == node.comment.replies - loaded
    assert len(seen) == len(set(seen)) == 600 and seen == sorted(seen)
    best = queries.thread(db, big.id, None, sort="best").roots
    assert [n.comment.upvotes for n in best] == sorted((n.comment.upvotes for n in best), reverse=True)
    out_of_range = queries.thread(db, big.id, None, page=10_000)
    assert out_of_range.page == out_of_range.pages


def _size(node) -> int:
    return 1 + sum(_size(child) for child in node.children)


def test_the_http_page_costs_the_same_for_a_small_and_a_big_thread(app):
    from civic.db import make_sessionmaker
    from tests.consultations.conftest import build_world
    from tests.helpers import Client

    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        world = build_world(db, residents=6)
        small, big, _me = two_topics(db, world)
        warm = services.propose_topic(db, world.residents[2], world.home, title="另一个议题", body="先打开它。")
        resident = world.users.people[2]
    client = Client(app).login_as(resident)
    client.get("/")  # the signed-in actor is loaded once, then kept (civic.security.ActorCache)
    client.get(f"/consultations/{warm.id}")  # so are the community's current rules (rulesconfig.services.current_rules)
    pages = ("/consultations/{id}", "/consultations/{id}/comments?sort=newest&page=3", "/consultations/{id}/comments?sort=best&page=2&fragment=more")
    counts = {}
    for size, topic in (("small", small), ("big", big)):
        for page in pages:
            url = page.format(id=topic.id)
            with counted(app.state.engine) as statements:
                response = client.get(url, headers={"HX-Request": "true"} if "fragment" in url else {})
            assert response.status_code == 200 and "comment-" in response.text
            counts[(size, page)] = len(statements)
    for page in pages:
        assert counts[("big", page)] == counts[("small", page)], counts


def test_my_votes_are_the_readers_own_on_the_page_only(db, world):
    from civic.consultations import comments

    topic = services.propose_topic(db, world.residents[0], world.home, title="投票", body="哪些评论我点了赞。")
    posted = [comments.post_comment(db, world.residents[1], topic, body=f"第{n}条") for n in range(5)]
    me, other = world.residents[2], world.residents[3]
    for comment in (posted[0], posted[2], posted[4]):
        comments.toggle_vote(db, me, comment)
    comments.toggle_vote(db, other, posted[1])
    db.commit()
    ids = [c.id for c in posted]
    assert queries.my_votes(db, me.user.id, ids) == {ids[0], ids[2], ids[4]}
    # The page shows the first and the last only: a vote in between is not on it.
    assert queries.my_votes(db, me.user.id, [ids[0], ids[4]]) == {ids[0], ids[4]}
    assert queries.my_votes(db, other.user.id, ids) == {ids[1]}
    assert queries.my_votes(db, me.user.id, []) == set() and queries.my_votes(db, None, ids) == set()


def test_my_support_is_the_readers_own_on_a_page_and_on_a_write_session(db, engine, world):
    """Asked on every signed-in consultation page, on the driver's cursor there (snapshots.rows): the same
    answer as through the session, the reader's own support only."""
    from civic import snapshots
    from civic.db import make_sessionmaker

    topic = services.propose_topic(db, world.residents[0], world.home, title="支持", body="谁支持了这个议题。")
    supporter, other = world.residents[1], world.residents[2]
    assert services.toggle_support(db, supporter, topic) is True
    db.commit()
    with make_sessionmaker(engine)() as page:
        page.info.update(civic_snapshots=snapshots.Snapshots(30), civic_generations={})  # as web.db makes a GET page's
        for session in (db, page):
            assert queries.detail(session, topic, supporter.user.id).my_support is True
            assert queries.detail(session, topic, other.user.id).my_support is False
            assert queries.detail(session, topic, None).my_support is False


def test_the_moderation_queue_reads_only_the_comments_needing_attention(db, world, engine):
    """Reported and hidden comments come from a partial index of the few of them (a district's threads hold
    10,000 comments a community); the database uses it only if the query repeats its condition exactly."""
    from sqlalchemy import event, select, text

    from civic.consultations import comments
    from civic.consultations.models import Comment

    topic, _big, _me = two_topics(db, world)
    first, second, third = db.execute(select(Comment).where(Comment.consultation_id == topic.id).order_by(Comment.id).limit(3)).scalars()
    comments.report_comment(db, world.residents[2], first, reason="offensive")
    comments.moderate_comment(db, world.staff, second, action="hide", reason="人身攻击")
    db.commit()

    seen = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, parameters, *_: seen.append((statement, parameters)))
    queue = queries.moderation_queue(db, world.home)
    hidden = queries.hidden_comments(db, world.home)
    assert [c.id for c, _k, _r in queue] == [first.id] and [len(r) for _c, _k, r in queue] == [1]
    assert [c.id for c, _k in hidden] == [second.id]

    selects = [(statement, parameters) for statement, parameters in seen if statement.startswith("SELECT")]
    for statement, parameters in (selects[0], selects[-1]):  # the queue, the hidden list
        if engine.dialect.name == "postgresql":  # the index must be usable at all: a tiny table's plan shows it without sequential scans
            db.execute(text("SET LOCAL enable_seqscan = off"))
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        plan = " ".join(str(row[-1]) for row in db.connection().exec_driver_sql(explain + statement, parameters))
        assert "ix_consultations_comment_attention" in plan, (plan, statement)
