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
