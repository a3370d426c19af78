"""The module manifest of civic.registry."""
from civic.i18n import N_
from civic.modules import Module


def _module() -> Module:
    from civic.registry.views import admin_routes, routes

    staff = {"staff", "street_supervisor"}
    return Module(
        name="registry",
        title=N_("Communities"),
        description=N_("Communities, residents' groups, households and residents"),
        routes=routes,
        admin_routes=admin_routes,
        permissions={
            "registry:residents:codes": {"staff"},
            "registry:residents:edit": {"staff"},
            "registry:residents:export": staff,
            "registry:residents:import": {"staff"},
            "registry:residents:view": staff | {"election_committee"},
        },
        in_nav=False,
    )


MODULE = _module()
