"""The module manifest of civic.disclosure."""
from civic.i18n import N_
from civic.modules import Module


def _module() -> Module:
    from civic.disclosure.views import admin_routes, permissions, routes, seed

    return Module(
        name="disclosure",
        title=N_("Disclosure"),
        description=N_("Public notices of community affairs, with notice periods and corrections"),
        routes=routes,
        admin_routes=admin_routes,
        permissions=permissions,
        seed=seed,
    )


MODULE = _module()
