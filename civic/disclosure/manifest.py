"""The module manifest of civic.disclosure: the public notice board (居务公开)."""
from civic.i18n import N_
from civic.modules import Module


def _module() -> Module:
    from civic.disclosure import services as s
    from civic.disclosure.queries import leaving_audit_published
    from civic.disclosure.admin import admin_routes
    from civic.disclosure.demo import seed
    from civic.disclosure.scale import scale_seed
    from civic.disclosure.views import routes

    return Module(
        name="disclosure",
        title=N_("Disclosure"),
        description=N_("Public notices of community affairs, with notice periods and corrections"),
        routes=routes,
        admin_routes=admin_routes,
        permissions={
            s.ANSWER: {"staff"},
            s.CATEGORIES: set(),  # administrators only
            s.FEEDBACK: {"resident"},
            s.FULL_DATA: {"staff", "supervision_committee", "street_supervisor"},
            s.MANAGE: {"staff"},
            s.OVERSIGHT: {"supervision_committee", "street_supervisor"},
            s.REVIEW: {"supervision_committee"},
            s.SCHEDULE: {"street_supervisor"},
        },
        seed=seed,
        scale_seed=scale_seed,
        provides={
            # D8, for the elections module: is the chair's leaving audit published, and where staff publish it.
            "leaving_audit_published": leaving_audit_published,
            "leaving_audit_url": lambda community_code: f"/disclosure/manage/c/{community_code}/new",
        },
    )


MODULE = _module()
