"""The module manifest of civic.elections."""
from civic.i18n import N_
from civic.modules import Module


def _module() -> Module:
    from civic.elections.permissions import PERMISSIONS
    from civic.elections.demo import seed
    from civic.elections.scale import scale_seed
    from civic.elections.admin_extra import public_routes as extra_routes, routes as extra_admin_routes
    from civic.elections.views import admin_routes, routes

    return Module(
        name="elections",
        title=N_("Elections"),
        description=N_("Direct election of the residents' committee: voter list, candidates, ballots, results"),
        routes=[*routes, *extra_routes],
        admin_routes=[*admin_routes, *extra_admin_routes],
        permissions=PERMISSIONS,
        seed=seed,
        scale_seed=scale_seed,
        seed_after=("disclosure",),  # D8: the demo elections come after the chairs' leaving audits are published
    )


MODULE = _module()
