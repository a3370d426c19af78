"""The module manifest of civic.consultations."""
from civic.i18n import N_
from civic.modules import Module


def _module() -> Module:
    from civic.consultations.views import admin_routes, permissions, routes, seed

    return Module(
        name="consultations",
        title=N_("Consultations"),
        description=N_("Hearings and deliberation meetings, with comment threads and feedback"),
        routes=routes,
        admin_routes=admin_routes,
        permissions=permissions,
        seed=seed,
    )


MODULE = _module()
