import io
import time

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from civic.registry import importing, services
from civic.registry.models import ImportJob, Resident
from civic.registry.rules import make_id_number
from civic.security import Actor, load_actor
from tests.helpers import make_community, make_user


def xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "手机", "居民小组", "户号", "党员"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_id(n, gender="M"):
    import datetime as dt

    return make_id_number("330102", dt.date(1980, 1, 1) + dt.timedelta(days=n), n, gender)


def test_report_names_every_bad_row(english):
    rows = importing.read_rows("r.csv", "姓名,身份证号,手机,居民小组,户号\n李四,110105194912310021,13900000000,1,A1\n王五,%s,1390,9,A2\n,%s,,1,\n".encode() % (good_id(1).encode(), good_id(1).encode()))
    reports = importing.validate_rows(rows, {"1": 1}, set())
    assert [r.line for r in reports] == [2, 3, 4]
    assert any("check digit" in e for e in reports[0].errors)
    assert any("residents' group" in e for e in reports[1].errors)
    assert any("11 digits" in e for e in reports[1].errors)
    assert any("duplicate" in e for e in reports[2].errors)
    assert any("household" in e for e in reports[2].errors)


def test_missing_columns_and_wrong_type():
    with pytest.raises(importing.FileProblem):
        importing.read_rows("r.csv", "名字,电话\n张三,1\n".encode())
    with pytest.raises(importing.FileProblem):
        importing.read_rows("r.pdf", b"%PDF")
    with pytest.raises(importing.FileProblem):
        importing.read_rows("r.xlsx", b"not a zip")


def test_gb18030_csv_is_read():
    content = f"姓名,身份证号,居民小组,户号\n张三,{good_id(2)},1,A1\n".encode("gb18030")
    assert importing.read_rows("r.csv", content)[0]["name"] == "张三"


def _run(db, engine, content, community, staff):
    from civic.db import make_sessionmaker

    actor = load_actor(db, staff.id)
    job = services.start_import(db, actor, community, "residents.xlsx", content)
    services.run_import(make_sessionmaker(engine, write=True), job.id, job.rows, staff.id, "en")
    db.expire_all()
    return db.get(ImportJob, job.id)


def test_import_is_all_or_nothing(db, engine, english):
    community = make_community(db)
    staff = make_user(db, roles=[("staff", community)])
    bad = xlsx([["张三", good_id(10), "13900000001", "1", "A1", "否"], ["李四", "110105194912310021", "", "1", "A2", "是"]])
    job = _run(db, engine, bad, community, staff)
    assert job.status == "rejected"
    assert "1 of 2" in job.message
    assert db.scalar(select(func.count()).select_from(Resident)) == 0
    good = xlsx([["张三", good_id(10), "13900000001", "1", "A1", "否"], ["李四", good_id(11, "F"), "", "2", "A1", "是"]])
    job = _run(db, engine, good, community, staff)
    assert job.status == "done", job.message
    residents = db.execute(select(Resident).order_by(Resident.id)).scalars().all()
    assert [r.name for r in residents] == ["张三", "李四"]
    assert residents[1].gender == "F" and residents[1].party_member
    assert residents[0].household_id == residents[1].household_id  # same 户号 → one household
    # Importing the same people again is refused as duplicates.
    again = _run(db, engine, good, community, staff)
    assert again.status == "rejected"


def test_export_round_trips(db, engine):
    community = make_community(db)
    staff = make_user(db, roles=[("staff", community)])
    _run(db, engine, xlsx([["张三", good_id(20), "13900000001", "1", "A1", "否"]]), community, staff)
    content = services.export_rows(db, load_actor(db, staff.id), community)
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and rows[1][0] == "张三" and rows[1][1] == good_id(20)


def test_import_needs_staff_of_that_community(db):
    from civic.errors import DomainError

    community, other = make_community(db), make_community(db)
    staff = make_user(db, roles=[("staff", other)])
    with pytest.raises(DomainError) as error:
        services.start_import(db, load_actor(db, staff.id), community, "r.csv", b"x")
    assert error.value.status == 403
    with pytest.raises(DomainError):
        services.start_import(db, Actor(), community, "r.csv", b"x")
