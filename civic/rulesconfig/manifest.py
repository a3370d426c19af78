"""The module manifest of civic.rulesconfig."""
from civic.i18n import N_
from civic.modules import Module


def _module() -> Module:
    from civic.rulesconfig.views import admin_routes, routes

    return Module(
        name="rules",
        title=N_("Rules"),
        description=N_("The legal regime and the local rules every procedure runs under"),
        routes=routes,
        admin_routes=admin_routes,
        permissions={"rules:profile:edit": set()},  # administrators only
        in_nav=False,
    )


MODULE = _module()
