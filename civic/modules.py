"""The module manifest: how a domain package plugs into Civic (Decidim's component manifest, small).

Each package's __init__.py builds one `Module` and civic.app mounts it; nothing else in the core
knows a module's routes, permissions or demo data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from starlette.routing import BaseRoute


@dataclass(frozen=True)
class Module:
    name: str  # URL prefix and route namespace: /<name>, "<name>:<route>"
    title: str  # msgid, translated where shown
    description: str  # msgid
    routes: list[BaseRoute] = field(default_factory=list)  # public, read-mostly
    admin_routes: list[BaseRoute] = field(default_factory=list)  # staff, mounted at /<name>/manage
    permissions: dict[str, set[str]] = field(default_factory=dict)  # "<module>:<resource>:<action>" -> roles
    seed: Callable | None = None  # seed(db, demo) adds the module's demo data
    scale_seed: Callable | None = None  # scale_seed(db, demo) adds data at district scale (benchmarks)
    in_nav: bool = True
    # Read-only services this module offers to the others, by name (the one way modules call each other:
    # `provided(name)`, never an import of another module's tables).
    provides: dict[str, Callable] = field(default_factory=dict)
    seed_after: tuple[str, ...] = ()  # modules whose demo data this module's seed builds on


def provided(name: str) -> Callable | None:
    """The service `name` offered by an installed domain module, or None when no module offers it."""
    for module in domain_modules():
        if name in module.provides:
            return module.provides[name]
    return None


def seed_order(modules: list[Module]) -> list[Module]:
    """Modules in navigation order, except that a module seeds after those named in its `seed_after`."""
    names = {m.name for m in modules}
    done: list[Module] = []
    pending = list(modules)
    while pending:
        for module in pending:
            if all(dep in {d.name for d in done} or dep not in names for dep in module.seed_after):
                done.append(module)
                pending.remove(module)
                break
        else:
            raise ValueError("seed_after forms a cycle: " + ", ".join(m.name for m in pending))
    return done


def domain_modules() -> list[Module]:
    """The four domain packages, in navigation order."""
    from civic.appraisal.manifest import MODULE as appraisal
    from civic.consultations.manifest import MODULE as consultations
    from civic.disclosure.manifest import MODULE as disclosure
    from civic.elections.manifest import MODULE as elections

    return [elections, consultations, disclosure, appraisal]


def all_modules() -> list[Module]:
    from civic.accounts.manifest import MODULE as accounts
    from civic.auditlog import MODULE as audit_log
    from civic.registry.manifest import MODULE as registry
    from civic.rulesconfig.manifest import MODULE as rules

    return [registry, accounts, rules, audit_log, *domain_modules()]
