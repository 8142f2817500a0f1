#!/usr/bin/env python3
"""`make audit-deps`: known vulnerabilities in the installed packages (pip-audit) and
medium-or-worse findings in our own code (bandit -ll).

Exit status 1 when pip-audit names a vulnerability or bandit finds an issue. When pip-audit
cannot reach its vulnerability service (no network, or a package index without PyPI's JSON
API), that is said plainly and does not fail the run: nothing was audited, which is not the
same as nothing found.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
UNREACHABLE = ("not found on PyPI", "ConnectionError", "Max retries exceeded", "Could not resolve",
               "Name or service not known", "Temporary failure in name resolution", "timed out")


def pip_audit() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "pip-audit.json"
        run = subprocess.run(
            [str(BIN / "pip-audit"), "--progress-spinner", "off", "--skip-editable", "--format", "json",
             "--output", str(report)],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )
        data = json.loads(report.read_text()) if report.exists() and report.stat().st_size else None
    if data is None:
        output = (run.stdout + run.stderr).strip()
        if any(marker in output for marker in UNREACHABLE):
            print("pip-audit: NOT AUDITED - the vulnerability service could not be reached from this machine:")
            print("  " + output.splitlines()[-1][:300])
            return 0
        print(output)
        print(f"pip-audit: failed (exit {run.returncode})")
        return 1
    deps = [d for d in data["dependencies"] if d.get("skip_reason") != "distribution marked as editable"]
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"  {dep['name']} {dep.get('version', '')}: {vuln['id']} (fixed in: {fixes})")
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} of {len(deps)} packages have known vulnerabilities")
        return 1
    unreachable = [d for d in skipped if any(m in d["skip_reason"] for m in UNREACHABLE)]
    if unreachable and len(unreachable) == len(deps):
        print(f"pip-audit: NOT AUDITED - none of the {len(deps)} packages could be looked up: the vulnerability "
              "service (PyPI's JSON API) is not reachable from this machine. Run `make audit-deps` where it is.")
        return 0
    audited = len(deps) - len(skipped)
    print(f"pip-audit: no known vulnerabilities in {audited} audited packages"
          + (f"; {len(skipped)} could not be looked up: " + ", ".join(d["name"] for d in skipped) if skipped else ""))
    return 0


def bandit() -> int:
    run = subprocess.run([str(BIN / "bandit"), "-r", "workspace", "-ll", "-q"], cwd=ROOT, timeout=600)
    print("bandit: no issue of medium severity or above" if run.returncode == 0 else "bandit: issues found (above)")
    return run.returncode


def main() -> int:
    os.chdir(ROOT)
    status = pip_audit()
    status = bandit() or status
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
