"""Add Dutch translations to the catalogue safely while several people work in one tree.

    python scripts/translate.py nl.json      # {"English msgid": "Nederlandse vertaling", ...}

Under an exclusive lock it re-extracts the catalogue template (as `make messages` does), merges it
into the Dutch .po, fills in the given translations (clearing their fuzzy flag) and writes the .po
back in the same format `pybabel update --width 120` uses. Prints the msgids still untranslated.
Plural entries: give the msgid of the singular and a list of forms as the value.
"""
import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "workspace/translations/nl/LC_MESSAGES/messages.po"
BIN = Path(sys.executable).parent


def main(path: str | None) -> None:
    given = json.loads(Path(path).read_text()) if path else {}
    with open("/tmp/workspace-po.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([str(BIN / "pybabel"), "extract", "--no-location", "--sort-output", "-F", "babel.cfg",
                        "-k", "_l", "-k", "lazy_gettext", "-o", "workspace/translations/messages.pot", "."],
                       cwd=ROOT, check=True, capture_output=True)
        subprocess.run([str(BIN / "pybabel"), "update", "--ignore-obsolete", "--width", "120", "-i",
                        "workspace/translations/messages.pot", "-d", "workspace/translations"],
                       cwd=ROOT, check=True, capture_output=True)
        with open(PO, "rb") as fh:
            catalog = read_po(fh)
        for msgid, text in given.items():
            key = msgid
            message = catalog.get(key)
            if message is None:
                for m in catalog:
                    if isinstance(m.id, tuple) and m.id[0] == msgid:
                        message = m
                        break
            if message is None:
                print(f"not in the catalogue (not marked, or spelled otherwise): {msgid!r}")
                continue
            message.string = tuple(text) if isinstance(message.id, tuple) else text
            message.flags.discard("fuzzy")
        with open(PO, "wb") as fh:
            write_po(fh, catalog, width=120, ignore_obsolete=True)
        missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)]
    for m in missing:
        print(f"untranslated or fuzzy: {m!r}")
    print(f"{len(missing)} untranslated or fuzzy")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
