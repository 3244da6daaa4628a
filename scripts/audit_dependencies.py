"""Audit the installed dependencies for known vulnerabilities with pip-audit (CI step).

Exits 1 when any installed package has a known vulnerability, listing each with its id
and the versions that fix it. pip-audit looks the packages up in the PyPI JSON API
(or OSV with --osv); where neither can be reached (a closed network, a registry mirror
without the JSON API), nothing can be audited: the script then says so loudly and
exits 0, unless --require is given, so that such a machine can still run CI.

    python scripts/audit_dependencies.py [--require] [--osv]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--require", action="store_true",
                        help="fail when the vulnerability service cannot be reached")
    parser.add_argument("--osv", action="store_true", help="ask OSV instead of PyPI")
    args = parser.parse_args()
    command = [sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off",
               "--format", "json"]
    if args.osv:
        command += ["--vulnerability-service", "osv"]
    result = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed (exit {result.returncode}):\n{result.stderr}", file=sys.stderr)
        return 1
    dependencies = report["dependencies"]
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = [d for d in dependencies if "skip_reason" in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} "
                  f"(fixed in {fixed})", file=sys.stderr)
    print(f"pip-audit: {len(audited)} packages audited, {len(vulnerable)} with known "
          f"vulnerabilities, {len(skipped)} could not be audited.")
    if vulnerable:
        return 1
    if not audited:
        print("WARNING: no package could be audited: the vulnerability service is not reachable "
              f"from here ({skipped[0]['skip_reason'] if skipped else 'no packages'}). "
              "Run this where pypi.org or api.osv.dev answers.", file=sys.stderr)
        return 1 if args.require else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
