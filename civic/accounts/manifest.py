"""The module manifest of civic.accounts."""
from civic.i18n import N_
from civic.modules import Module

STAFF = {"staff", "street_supervisor"}


def _module() -> Module:
    from civic.accounts.views import routes

    return Module(
        name="accounts",
        title=N_("Accounts"),
        description=N_("Log in, activate your account, act for a resident"),
        routes=routes,
        permissions={
            "accounts:self:manage": {"resident", "party_rep", "resident_rep", "staff", "election_committee", "supervision_committee", "street_supervisor"},
            "accounts:assist:start": {"staff"},
            "accounts:roles:manage": {"street_supervisor"},
        },
        in_nav=False,
    )


MODULE = _module()
