"""Who may do what in elections (deny by default; `admin` always). Names: elections:<resource>:<action>."""

COMMITTEE = {"election_committee"}
OFFICIALS = {"election_committee", "staff"}
OVERSIGHT = {"supervision_committee", "street_supervisor"}

PERMISSIONS: dict[str, set[str]] = {
    "elections:byelection:create": OFFICIALS,
    "elections:ballot:cast": {"resident", "resident_rep", "party_rep"},
    "elections:count:confirm": COMMITTEE | {"supervision_committee"},
    "elections:count:enter": OFFICIALS,
    "elections:election:manage": COMMITTEE,
    "elections:election:view_admin": OFFICIALS | OVERSIGHT,
    "elections:nomination:record": OFFICIALS,
    "elections:nomination:sign": {"resident", "resident_rep", "party_rep"},
    "elections:objection:decide": COMMITTEE,
    "elections:objection:file": {"resident", "resident_rep", "party_rep", "staff"},
    "elections:proxy:register": OFFICIALS,
    "elections:relation:declare": OFFICIALS,
    "elections:recall:record": OFFICIALS,
    "elections:recall:schedule": OFFICIALS,
    "elections:recall:sign": {"resident", "resident_rep", "party_rep"},
    "elections:vacancy:record": OFFICIALS,
    "elections:roll:view": OFFICIALS | OVERSIGHT,
    "elections:station:operate": OFFICIALS,
}
