"""The module manifest of civic.consultations: hearings, deliberation meetings and online consultations
from topic to implemented outcome, comment threads, formal residents' and representatives' meetings."""
from civic.i18n import N_
from civic.modules import Module

RESIDENTS = {"resident"}  # representatives hold the resident role too
STAFF = {"staff"}

PERMISSIONS: dict[str, set[str]] = {
    "consultations:comment:moderate": STAFF | {"street_supervisor"},
    "consultations:comment:post": RESIDENTS,
    "consultations:comment:report": RESIDENTS | STAFF,
    "consultations:comment:vote": RESIDENTS,
    "consultations:consultation:manage": STAFF,
    "consultations:formal:manage": STAFF,
    "consultations:opinion:answer": STAFF,
    "consultations:opinion:record": STAFF,
    "consultations:opinion:submit": RESIDENTS,
    "consultations:signup:join": RESIDENTS,
    "consultations:topic:decide": STAFF,
    "consultations:topic:propose": RESIDENTS,
    "consultations:topic:record": STAFF,
    "consultations:topic:support": RESIDENTS,
}


def _module() -> Module:
    from civic.consultations.admin import routes as admin_routes
    from civic.consultations.demo import seed
    from civic.consultations.scale import scale_seed
    from civic.consultations.views import routes

    return Module(
        name="consultations",
        title=N_("Consultations"),
        description=N_("Hearings and deliberation meetings, with comment threads and feedback"),
        routes=routes,
        admin_routes=admin_routes,
        permissions=PERMISSIONS,
        seed=seed,
        scale_seed=scale_seed,
    )


MODULE = _module()
