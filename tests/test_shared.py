"""Shared mechanisms: markdown sanitising, uploads, secrecy helpers, notifications."""
import pytest

from civic import secrecy
from civic.errors import Invalid
from civic.markdown import plain_text, render_markdown
from civic.uploads import check_upload, safe_filename

XSS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "<a href=\"javascript:alert(1)\">x</a>",
    "<svg onload=alert(1)>", "<iframe src=//evil>", "<style>body{}</style>", "[x](JaVaScRiPt:alert(1))", "![a](javascript:alert(1))",
    "<div style=\"background:url(javascript:alert(1))\">", "<<script>script>alert(1)<</script>/script>",
]


def real_tags(html: str) -> list[tuple[str, dict]]:
    """The elements a browser would build (escaped text is not an element)."""
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collect().feed(html)
    return found


@pytest.mark.parametrize("payload", XSS)
def test_markdown_never_lets_script_through(payload):
    for tag, attrs in real_tags(str(render_markdown(payload))):
        assert tag not in {"script", "iframe", "svg", "style", "img", "object"}
        assert not any(name.startswith("on") or name == "style" for name in attrs)
        assert not (attrs.get("href") or "").strip().lower().startswith("javascript")


def test_markdown_keeps_formatting_and_demotes_headings():
    html = str(render_markdown("# 标题\n\n**加粗** [链接](https://example.org)\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<h3>标题</h3>" in html and "<strong>加粗</strong>" in html and 'rel="nofollow noopener noreferrer"' in html and "<table>" in html
    assert plain_text("**你好** 世界") == "你好 世界"


@pytest.mark.parametrize("name,expected", [("../../etc/passwd", "passwd"), ("C:\\x\\报告.pdf", "报告.pdf"), ("a<b>.pdf", "a_b_.pdf"), ("", "file"), ("...", "file")])
def test_hostile_file_names_are_tamed(name, expected):
    assert safe_filename(name) == expected


def test_uploads_are_checked_by_type_content_and_size():
    assert check_upload("a.pdf", b"%PDF-1.4 ...")[1] == "application/pdf"
    with pytest.raises(Invalid):
        check_upload("a.exe", b"MZ")
    with pytest.raises(Invalid):
        check_upload("a.pdf", b"<html><script>")  # content is not a PDF
    with pytest.raises(Invalid):
        check_upload("a.pdf", b"")
    with pytest.raises(Invalid):
        check_upload("a.pdf", b"%PDF-" + b"0" * 100, max_bytes=50)
    with pytest.raises(Invalid):
        check_upload("a.html", b"<html>")


def test_tracking_codes_and_random_ids_do_not_repeat():
    codes = {secrecy.tracking_code() for _ in range(2000)}
    assert len(codes) == 2000 and all(len(c) == 14 for c in codes)
    assert len({secrecy.random_id() for _ in range(2000)}) == 2000


def test_notifications_round_trip(db):
    from civic import notify
    from tests.helpers import make_community, make_user

    user = make_user(db, roles=[("staff", make_community(db))])
    notify.notify(db, [user.id, user.id], "您的意见已有答复", "/consultations/")
    db.commit()
    assert notify.unread_count(db, user.id) == 1
    notify.mark_all_read(db, user.id)
    assert notify.unread_count(db, user.id) == 0
