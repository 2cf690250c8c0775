"""docs/compliance.md maps each legal duty to a feature and a test: every test it names must
exist, so the mapping cannot point at a test that was renamed or removed."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def test_every_test_the_compliance_mapping_names_exists():
    text = (REPO / "docs" / "compliance.md").read_text(encoding="utf-8")
    references = REFERENCE.findall(text)
    missing = [f"{path}::{name}" if name else path for path, name in references
               if not (REPO / path).exists()
               or (name and f"def {name}(" not in (REPO / path).read_text(encoding="utf-8"))]
    assert len(references) >= 12
    assert missing == []
