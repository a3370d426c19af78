"""Every UI string is in the catalogues and has a Chinese translation (English uses the msgid)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_string_is_translated_into_chinese():
    result = subprocess.run([sys.executable, "scripts/i18n.py", "--check", "--dry-run"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_readme_documents_every_setting():
    from civic.settings import VARIABLES

    readme = (ROOT / "README.md").read_text()
    missing = [name for name in VARIABLES if name not in readme]
    assert not missing, f"README.md does not document {missing}"


def test_cli_help_documents_every_command():
    from civic.cli import build_parser

    text = build_parser().format_help()
    for command in ("serve", "demo", "db", "verify", "audit", "backup", "restore"):
        assert command in text


def test_each_module_speaks_its_own_words():
    """One English word may need different Chinese per module; a module's pages read its own catalogue first
    (a recall's "Reply" as 申辩 once turned every comment's 回复 button into 申辩)."""
    from civic import i18n

    locale, module = i18n.set_locale("zh_CN"), i18n.set_module("consultations")
    try:
        assert i18n._("Reply") == "回复" and i18n._("Report") == "举报"
        i18n.set_module("appraisal")
        assert i18n._("Report") == "述职报告" and i18n._("Back to the results") == "返回考评结果"
        i18n.set_module("elections")
        assert i18n._("Back to the results") == "返回选举结果"
        i18n.set_module(None)
        assert i18n._("Log in") == "登录"  # core messages keep the core's wording everywhere
    finally:
        i18n._module.reset(module)
        i18n._current.reset(locale)


def test_templates_translate_and_format_as_jinjas_newstyle_gettext():
    """`_()` and `{% trans %}` in templates: translated, variables escaped in HTML (not in text templates),
    and "%%" is a percent sign with or without variables."""
    from civic import i18n
    from civic.templating import make_environment
    from tests.conftest import make_settings

    env = make_environment(make_settings("sqlite://", ROOT))
    html = env.from_string('{{ _("Log in") }}|{{ _("100 %%") }}|{{ _("Hi %(n)s", n="<b>") }}|{% trans n="<i>" %}Hello {{ n }}{% endtrans %}')
    text = env.from_string('{% autoescape false %}{{ _("Hi %(n)s", n="<b>") }}{% endautoescape %}')
    locale = i18n.set_locale("zh_CN")
    try:
        assert html.render() == "登录|100 %|Hi &lt;b&gt;|Hello &lt;i&gt;"
        assert text.render() == "Hi <b>"
    finally:
        i18n._current.reset(locale)


def test_a_serving_worker_compiles_every_page_template_before_its_first_request():
    """civic.asgi compiles them all at import (civic.templating.compile_all): every one must compile on its own,
    and the first request of a page then renders from the cache."""
    from civic.templating import compile_all, make_environment
    from tests.conftest import make_settings

    env = make_environment(make_settings("sqlite://", ROOT))
    pages = sorted(p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*.html"))
    assert compile_all(env) == len(pages) > 100
    loaded = []
    env.loader.get_source = lambda environment, name: loaded.append(name)  # nothing may be read again
    for name in pages:
        env.get_template(name)
    assert loaded == []



def test_the_serving_module_has_every_page_template_compiled_at_import(tmp_path):
    import os

    code = "import civic.asgi as a; print(len(a.app.state.templates.cache))"
    env = {**os.environ, "CIVIC_DATA_DIR": str(tmp_path)}
    env.pop("CIVIC_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) == len(list((ROOT / "templates").rglob("*.html")))
