"""The module manifest of civic.appraisal."""
from civic.i18n import N_
from civic.modules import Module


def _module() -> Module:
    from civic.appraisal.views import admin_routes, permissions, routes, seed

    return Module(
        name="appraisal",
        title=N_("Appraisal"),
        description=N_("The annual democratic appraisal of community cadres"),
        routes=routes,
        admin_routes=admin_routes,
        permissions=permissions,
        seed=seed,
    )


MODULE = _module()
