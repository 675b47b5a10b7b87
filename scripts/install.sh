#!/usr/bin/env bash
# Installs cipmini as a systemd service on a Debian-based machine, such as a
# Raspberry Pi running Raspberry Pi OS:
#
#   sudo ./install.sh BOARD
#
# run from the dist/ folder that scripts/build.sh fills (copied to the
# device), or as scripts/install.sh from a clone after scripts/build.sh.
# BOARD is one of the profiles in boards/ (pi-zero, pi-armv7, pi-arm64,
# generic-amd64). It installs:
#
#   /usr/local/bin/cipmini               the binary built for BOARD
#   /etc/systemd/system/cipmini.service  the unit
#   /etc/default/cipmini                 CIPMINI_BOARD=BOARD
#   /etc/cipmini/cipmini.toml            from the demo, only when absent
#   /var/lib/cipmini                     the data directory (mode 0700)
#
# creates the system user cipmini, and enables and (re)starts the service.
# With DESTDIR=DIR it installs the files under DIR and leaves users and
# systemd alone (for packaging, and for tests).
set -euo pipefail

die() {
	echo "install.sh: $*" >&2
	exit 1
}

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: install.sh BOARD   (BOARD: pi-zero, pi-armv7, pi-arm64, generic-amd64)" >&2
	exit 2
fi
board=$1
here=$(cd "$(dirname "$0")" && pwd)
root=${DESTDIR:-}
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
	die "run as root (sudo), or set DESTDIR"
fi

# first_file prints the first of its arguments that is a file.
first_file() {
	local f
	for f in "$@"; do
		if [ -f "$f" ]; then
			echo "$f"
			return 0
		fi
	done
	return 1
}
bin=$(first_file "$here/cipmini-$board" "$here/../dist/cipmini-$board") ||
	die "no binary cipmini-$board beside install.sh or in dist/: run scripts/build.sh $board"
unit=$(first_file "$here/cipmini.service" "$here/../boards/cipmini.service") ||
	die "no cipmini.service beside install.sh or in boards/"
example=$(first_file "$here/cipmini.toml.example" "$here/../cmd/cipmini/demo.toml") ||
	die "no cipmini.toml.example beside install.sh"

# The binary must run here: an ARMv7 binary dies on a Pi Zero's ARMv6.
"$bin" version >/dev/null 2>&1 ||
	die "$bin does not run on this machine ($(uname -m)): build and install the board that matches it"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The configuration: the one in place, or the demo made to listen on every
# address and to keep its data where the board says.
config="$root/etc/cipmini/cipmini.toml"
if [ -e "$config" ]; then
	candidate=$config
else
	candidate="$tmp/cipmini.toml"
	{
		echo "# Installed by install.sh from the demo configuration. Set server_id, the"
		echo "# rooms and the people (password_hash from 'cipmini passwd'), then:"
		echo "#   sudo systemctl restart cipmini"
		sed -e 's/^listen = .*/listen = ":5229"/' -e '/^data_dir = /d' "$example"
	} >"$candidate"
fi
"$bin" check --config "$candidate" --board "$board" || die "the configuration does not pass 'cipmini check'"

install -d -m 0755 "$root/usr/local/bin" "$root/etc/systemd/system" "$root/etc/default"
install -d -m 0750 "$root/etc/cipmini"
install -d -m 0700 "$root/var/lib/cipmini"
install -m 0755 "$bin" "$root/usr/local/bin/cipmini"
install -m 0644 "$unit" "$root/etc/systemd/system/cipmini.service"
printf 'CIPMINI_BOARD=%s\n' "$board" >"$tmp/default"
install -m 0644 "$tmp/default" "$root/etc/default/cipmini"
if [ "$candidate" != "$config" ]; then
	install -m 0640 "$candidate" "$config"
	echo "install.sh: wrote $config from the demo: edit it"
fi

if [ -n "$root" ]; then
	echo "install.sh: installed under $root"
	exit 0
fi

if ! getent passwd cipmini >/dev/null; then
	useradd --system --user-group --home-dir /var/lib/cipmini --no-create-home \
		--shell /usr/sbin/nologin --comment "cipmini CIP server" cipmini
fi
chown cipmini:cipmini /var/lib/cipmini
chown root:cipmini /etc/cipmini "$config"

was_active=$(systemctl is-active cipmini.service || true)
systemctl daemon-reload
systemctl enable --now cipmini.service
if [ "$was_active" = active ]; then
	systemctl restart cipmini.service
fi
echo "install.sh: cipmini runs as board $board; its log: journalctl -u cipmini -f"
