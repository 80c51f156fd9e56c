#!/bin/sh
# Real IdP captures (../shared/interop/real-idp) through `tessera inspect`.
exec "${SYSTEM_PYTHON3:-python3}" "$TS_SRCDIR/tests/interop_real_idp.py"
