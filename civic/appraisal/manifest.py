"""The module manifest of civic.appraisal: the annual two-way democratic appraisal (双向考评)."""
from civic.i18n import N_
from civic.modules import Module

# Permission -> roles (scoped to the community; street supervisors cover their street's communities).
# Who may rate is decided by the roster frozen when rating opens, not by a role.
PERMISSIONS: dict[str, set[str]] = {
    # The supervision committee presides (A1); the street office may run it too.
    "appraisal:campaign:manage": {"supervision_committee", "street_supervisor"},
    # Staff follow the campaign: roster, turnout, results after the count, before publication.
    "appraisal:campaign:view": {"staff", "supervision_committee", "street_supervisor"},
    "appraisal:paper:enter": {"staff", "supervision_committee"},
    "appraisal:report:write": {"staff", "supervision_committee", "street_supervisor"},
    "appraisal:report:comment": {"resident", "party_rep", "resident_rep", "staff", "supervision_committee", "street_supervisor"},
    "appraisal:comment:moderate": {"staff", "supervision_committee"},
    "appraisal:rating:cast": {"resident", "party_rep", "resident_rep", "staff", "supervision_committee", "street_supervisor", "election_committee"},
    "appraisal:results:residents": {"resident", "party_rep", "resident_rep", "staff", "supervision_committee", "street_supervisor", "election_committee"},
}


def _module() -> Module:
    from civic.appraisal.demo import seed
    from civic.appraisal.scale import scale_seed
    from civic.appraisal.views import admin_routes, routes

    return Module(
        name="appraisal",
        title=N_("Appraisal"),
        description=N_("The annual democratic appraisal of community cadres"),
        routes=routes,
        admin_routes=admin_routes,
        permissions=PERMISSIONS,
        seed=seed,
        scale_seed=scale_seed,
    )


MODULE = _module()
