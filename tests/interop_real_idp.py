"""Runs `tessera inspect --at valid_at` on every real IdP capture in
../shared/interop/real-idp and compares the identity with meta.json.

Each capture also gets negative controls: an hour past its window it must be
SAML_EXPIRED; a SHA-1 capture must be refused (SAML_SIGNATURE_ALGORITHM) when
its IdP does not allow SHA-1. Exit 77 (skip) when the set is absent."""
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone

SRC = os.environ["TS_SRCDIR"]
TESSERA = os.path.join(os.environ["TS_BUILDDIR"], "tessera")
REAL = os.path.normpath(os.path.join(SRC, "..", "shared", "interop", "real-idp"))


def escaped(value):
    """The escaping `tessera inspect` applies (common/log.c)."""
    raw = value.encode("utf-8")
    quote = raw == b"" or any(b in b' ="' or b < 0x21 or b > 0x7E for b in raw)
    out = []
    for b in raw[:256]:
        if b in b'"\\':
            out.append("\\" + chr(b))
        elif b < 0x20 or b > 0x7E:
            out.append("\\x%02x" % b)
        else:
            out.append(chr(b))
    text = "".join(out) + ("..." if len(raw) > 256 else "")
    return '"%s"' % text if quote else text


def write_config(path, meta, capture, allow_sha1):
    sp = {
        "entity_id": meta["audience"],
        "acs_url": meta["recipient"] or meta["destination"] or "https://unused.example/acs",
    }
    if meta["encrypted"]:
        sp["decryption_key"] = os.path.join(capture, "sp.key")
    lines = ["[sp]"] + ["%s = %s" % kv for kv in sp.items()]
    lines += [
        "[idp cap]",
        "entity_id = %s" % meta["issuer"],
        "certificates = %s" % os.path.join(capture, "idp.crt"),
        "allow_sha1 = %s" % ("true" if allow_sha1 else "false"),
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def inspect(capture, config, at):
    p = subprocess.run(
        [TESSERA, "inspect", os.path.join(capture, "response.xml"), "--idp", "cap",
         "--at", at, "--config", config],
        capture_output=True, text=True, timeout=60)
    fields = {}
    for line in p.stdout.splitlines():
        key, _, value = line.partition(": ")
        fields.setdefault(key, []).append(value)
    return p.returncode, fields, p.stdout + p.stderr


def is_sha1(meta):
    return any(s["sig_alg"].endswith("sha1") or any(d.endswith("sha1") for d in s["digest_alg"])
               for s in meta["signatures"])


def check(name, tmp):
    capture = os.path.join(REAL, name)
    with open(os.path.join(capture, "meta.json")) as f:
        meta = json.load(f)
    config = os.path.join(tmp, name + ".conf")
    sha1 = is_sha1(meta)
    problems = []

    write_config(config, meta, capture, allow_sha1=sha1)
    rc, fields, out = inspect(capture, config, meta["valid_at"])
    if rc != 0:
        return ["valid_at %s refused:\n%s" % (meta["valid_at"], out)]
    want = meta["expected"]
    subject = escaped(want["subject"]) if want.get("subject") else "(none)"
    if fields.get("subject") != [subject]:
        problems.append("subject %s, want %s" % (fields.get("subject"), subject))
    if want.get("upn") and fields.get("upn") != [escaped(want["upn"])]:
        problems.append("upn %s, want %s" % (fields.get("upn"), want["upn"]))
    for attr, values in want.get("attributes", {}).items():
        got = fields.get("attribute " + attr, [])
        if got != [escaped(v) for v in values]:
            problems.append("attribute %s: %s, want %s" % (attr, got, values))

    late = datetime.strptime(meta["not_on_or_after"][:19], "%Y-%m-%dT%H:%M:%S")
    late = (late.replace(tzinfo=timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rc, fields, out = inspect(capture, config, late)
    if rc != 1 or fields.get("error") != ["SAML_EXPIRED"]:
        problems.append("an hour past the window: want SAML_EXPIRED, got:\n" + out)
    if sha1:
        write_config(config, meta, capture, allow_sha1=False)
        rc, fields, out = inspect(capture, config, meta["valid_at"])
        if rc != 1 or fields.get("error") != ["SAML_SIGNATURE_ALGORITHM"]:
            problems.append("SHA-1 without allow_sha1: want SAML_SIGNATURE_ALGORITHM, got:\n" + out)
    return problems


def main():
    if not os.path.isdir(REAL):
        print("SKIP: no real IdP captures at %s" % REAL)
        return 77
    names = sorted(d for d in os.listdir(REAL) if os.path.isfile(os.path.join(REAL, d, "meta.json")))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            problems = check(name, tmp)
            print("%s: %s" % ("FAIL" if problems else "PASS", name))
            for p in problems:
                print("    " + p.replace("\n", "\n    "))
            failed += bool(problems)
    print("%d passed, %d failed" % (len(names) - failed, failed))
    return 1 if failed or not names else 0


if __name__ == "__main__":
    sys.exit(main())
