"""The district-scale loader, run small: same code path, a few communities."""
from sqlalchemy import func, select

from civic.registry.models import Community, Resident
from civic.registry.rules import id_problem
from civic.scale import load_district


def test_scale_loader_builds_valid_unique_residents(db):
    assert load_district(db, communities=3, residents=3000, log=lambda *_: None) is not None
    assert db.scalar(select(func.count()).select_from(Community)) == 3
    numbers = db.execute(select(Resident.id_number)).scalars().all()
    assert len(numbers) == 3000 == len(set(numbers))
    assert all(id_problem(n) is None for n in numbers[:500])
    assert load_district(db, communities=3, residents=3000, log=lambda *_: None) is None  # safe to run twice
