#!/bin/sh
# run.sh SRCDIR BUILDDIR NAME SECONDS: builds tests/fuzz/fuzz_NAME.c with
# clang's libFuzzer, ASan and UBSan (plus the sources its " * Sources:" line
# names) and fuzzes for SECONDS, starting from the committed corpus. New
# inputs land in BUILDDIR/fuzz/NAME/, crashes in BUILDDIR/fuzz/NAME-crashes/.
set -eu
src=$1 build=$2 name=$3 seconds=$4
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null || { echo "fuzz: $CLANG not found; install clang" >&2; exit 1; }
target="$src/tests/fuzz/fuzz_$name.c"
sources=$(sed -n 's/^ \* Sources: //p' "$target")
[ -n "$sources" ] || { echo "fuzz: $target has no ' * Sources:' line" >&2; exit 1; }
out="$build/fuzz"
mkdir -p "$out/$name" "$out/$name-crashes"
set --
for s in $sources; do set -- "$@" "$src/$s"; done
"$CLANG" -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-include "$build/config.h" -I"$src/include" -I"$build" -DTS_SYSCONFDIR='"/etc"' \
	$(pkg-config --cflags glib-2.0) -o "$out/fuzz_$name" "$target" "$@" \
	$(pkg-config --libs glib-2.0 libcrypto)
"$out/fuzz_$name" -max_total_time="$seconds" -max_len=20000 \
	-artifact_prefix="$out/$name-crashes/" "$out/$name" "$src/tests/fuzz/corpus/$name"
