#!/usr/bin/env bash
# Cross-compiles cipmini for every board profile in boards/*.toml into dist/:
# dist/cipmini-BOARD, static (CGO_ENABLED=0), -trimpath, stripped (-s -w),
# and prints each binary's size. It also puts beside them what
# scripts/install.sh needs on the device: install.sh itself, the systemd unit
# and the demo configuration as cipmini.toml.example.
#
#   scripts/build.sh                 every board
#   scripts/build.sh pi-zero ...     the boards named
#
# VERSION (default: git describe) is stamped into the binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

# value KEY FILE prints KEY's value from a board profile. The profiles keep
# to plain `key = "string"` and `key = number` lines (a test checks it).
value() {
	sed -n -E "s/^$1 = \"?([^\"]*)\"?\$/\\1/p" "$2"
}

if (($# > 0)); then
	profiles=()
	for name in "$@"; do
		[ -f "boards/$name.toml" ] || { echo "build.sh: no board profile boards/$name.toml" >&2; exit 2; }
		profiles+=("boards/$name.toml")
	done
else
	profiles=(boards/*.toml)
fi

version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
mkdir -p dist
printf '%-14s %-14s %12s\n' board target bytes
for f in "${profiles[@]}"; do
	name=$(value name "$f")
	goos=$(value goos "$f")
	goarch=$(value goarch "$f")
	goarm=$(value goarm "$f")
	target="$goos/$goarch${goarm:+/v$goarm}"
	out="dist/cipmini-$name"
	CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" GOARM="$goarm" \
		go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out" ./cmd/cipmini
	printf '%-14s %-14s %12d  (%s MiB)\n' "$name" "$target" "$(stat -c %s "$out")" \
		"$(awk -v b="$(stat -c %s "$out")" 'BEGIN { printf "%.1f", b / 1048576 }')"
done
cp scripts/install.sh boards/cipmini.service dist/
cp cmd/cipmini/demo.toml dist/cipmini.toml.example
