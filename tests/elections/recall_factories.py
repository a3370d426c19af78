"""A closed election with its members seated, and a recall vote walked to its result, for tests and the demo."""
from __future__ import annotations

import datetime as dt

from civic import clock
from civic.elections import nominations, polling, recall, roll
from civic.elections.models import Election, RecallRequest
from civic.registry.models import Community
from civic.security import Actor
from tests.elections.factories import election_at_polling


def closed_election(db, committee: Actor, community: Community, voters: list[Actor], *, turnout: int | None = None,
                    polling_day: dt.date | None = None) -> Election:
    """Every seat filled in round 1: the voters approve the first candidates of each office."""
    election, round_ = election_at_polling(db, committee, community, polling_day=polling_day)
    sections = polling.sections_of(round_)
    with clock.frozen(election.polling_day):
        for voter in voters[: turnout or len(voters)]:
            ballot = {s["id"]: {"approve": [c["id"] for c in s["candidates"][: s["seats"]]], "oppose": [], "write_in": []} for s in sections}
            polling.cast_online(db, voter, election, community, round_, ballot)
        polling.close_polling(db, committee, election, community, round_, {"box-1": 0})
        polling.close_round(db, committee, election, community, round_)
        polling.publish_round(db, committee, election, community, round_, {"presiding": "主持人"})
    assert election.status == "closed"
    return election


def recall_vote_open(db, committee: Actor, community: Community, request: RecallRequest, polling_day: dt.date) -> tuple[Election, "polling.Round"]:
    """Schedule → roll → ballot published → polling open."""
    from tests.elections.factories import setup_config
    from civic.elections import setup

    schedule = setup.default_schedule(polling_day, setup_config(db))
    with clock.frozen(schedule["roll_published_on"] - dt.timedelta(days=1)):
        vote = recall.schedule_vote(db, committee, request, community, title="罢免投票", polling_day=polling_day)
        roll.generate_roll(db, committee, vote, community)
    with clock.frozen(schedule["roll_published_on"]):
        roll.publish_roll(db, committee, vote, community)
        recall.publish_ballot(db, committee, vote, community)
    with clock.frozen(polling_day):
        round_ = polling.open_polling(db, committee, vote, community, [{"kind": "station", "name": "第一投票站"}])
    return vote, round_


__all__ = ["closed_election", "recall_vote_open", "nominations"]
