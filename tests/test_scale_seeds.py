"""Each domain module's `scale_seed` (civic demo --scale district), run small: same code paths, two communities.

The data must be what the services would have produced: every chain verifies (audit log, election boards,
disclosure versions), counters match the rows they count, and the pages the benchmark measures answer."""
import re

from sqlalchemy import func, select

from civic.accounts.models import User
from civic.appraisal.models import Cadre, Campaign, RatingForm, Result
from civic.audit import verify_all
from civic.consultations.models import Comment, CommentVote, Consultation
from civic.disclosure.models import Disclosure, DisclosureVersion
from civic.elections.models import BoardEntry, Election, RollEntry, RollMark, Round
from civic.scale import load_district
from tests.conftest import make_settings
from tests.helpers import Client


def test_scale_seeds_build_consistent_data(db, database_url, tmp_path):
    demo = load_district(db, communities=2, residents=400, log=lambda *_: None)
    assert demo is not None
    communities = sorted(demo.communities.values(), key=lambda c: c.code)

    # Elections: one open today per community (round 1 open, ballots on the chain), one closed and published.
    open_rounds = db.execute(select(Round, Election).join(Election, Election.id == Round.election_id).where(Round.status == "open")).all()
    assert sorted(e.community_id for _r, e in open_rounds) == sorted(c.id for c in communities)
    for round_, election in open_rounds:
        online = db.scalar(select(func.count()).select_from(BoardEntry).where(BoardEntry.round_id == round_.id, BoardEntry.kind == "online"))
        assert online == round_.entries > 0
        assert db.scalar(select(func.count()).select_from(RollMark).where(RollMark.round_id == round_.id)) > online  # station ballots too
        assert round_.registered == db.scalar(select(func.count()).select_from(RollEntry).where(RollEntry.election_id == election.id))
    published = db.execute(select(Round).where(Round.status == "published")).scalars().all()
    assert len(published) == 1 and published[0].board

    # Consultations: reply and up-vote counters match the rows; paths end with the comment's own id.
    comments = db.execute(select(Comment)).scalars().all()
    # The big threads are as long as the community is big (10,000 comments for 10,000 residents): 200 here.
    assert max(db.execute(select(func.count()).select_from(Comment).group_by(Comment.consultation_id)).scalars()) == 200
    votes = dict(db.execute(select(CommentVote.comment_id, func.count()).group_by(CommentVote.comment_id)).all())
    descendants = {c.id: 0 for c in comments}
    for c in comments:
        assert c.path.endswith(f"{c.id:010d}") and (c.root_id is None) == (c.depth == 0)
        assert c.upvotes == votes.get(c.id, 0)
        for ancestor in c.path.split(".")[:-1]:
            descendants[int(ancestor)] += 1
    assert all(c.replies == descendants[c.id] for c in comments)
    assert db.scalar(select(func.count()).select_from(Consultation)) >= 3 * len(communities)

    # Disclosure: ten years of notices, a few corrected (version 2).
    years = db.execute(select(func.min(Disclosure.year), func.max(Disclosure.year))).one()
    assert years[1] - years[0] == 9
    assert db.scalar(select(func.count()).select_from(DisclosureVersion).where(DisclosureVersion.number == 2)) > 0

    # Appraisal: three published years per community, a result per cadre from the forms.
    campaigns = db.execute(select(Campaign)).scalars().all()
    assert len(campaigns) == 3 * len(communities) and {c.status for c in campaigns} == {"published"}
    assert db.scalar(select(func.count()).select_from(Result)) == db.scalar(select(func.count()).select_from(Cadre))
    assert db.scalar(select(func.count()).select_from(RatingForm)) > 0

    assert {chain: problems[:3] for chain, problems in verify_all(db).items() if problems} == {}

    # The pages the benchmark measures, through the app.
    from civic.app import create_app

    code = communities[0].code
    with Client(create_app(make_settings(database_url, tmp_path))) as client:
        index = client.get(f"/elections/?community={code}")
        election = re.search(r'href="(/elections/e-[^"/?]+)"', index.text).group(1)
        assert client.get(election).status_code == 200
        search = client.get(f"/disclosure/?community={code}&q=财务收支")
        assert search.status_code == 200 and "/disclosure/d/" in search.text
        thread = db.execute(select(Comment.consultation_id).group_by(Comment.consultation_id).order_by(func.count().desc())).scalars().first()
        assert client.get(f"/consultations/{thread}").status_code == 200
        assert client.get(f"/appraisal/{campaigns[-1].id}/results").status_code == 200
        voter = db.execute(select(User).where(User.phone == "13700100001")).scalar_one()  # the benchmark's logged-in reader
        page = client.login_as(voter).get(election)
        assert page.status_code == 200 and "/rounds/1/ballot" in page.text
