// Package boards describes the machines cipmini is built for and runs on:
// one profile per board, kept as TOML data (the *.toml files beside this
// package) and embedded in the binary.
//
// A profile gives the board's build target (GOOS, GOARCH, GOARM), the runtime
// defaults that suit it (connection limit, Go memory limit and GOGC, data
// directory on the SD card, store cap, HTTP connections) and the name of its systemd unit file in this directory.
// `cipmini serve --board NAME` applies the runtime defaults; values in the
// configuration file win over them. scripts/build.sh cross-compiles every
// profile.
//
// The files use a plain subset of TOML, one `key = value` per line with a
// quoted string or a decimal integer, so that scripts can read them too.
package boards

import (
	"embed"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

//go:embed *.toml
var files embed.FS

// Board is one board profile, a plain value: the package hands out copies,
// so a Board may be used and changed freely by its holder. The zero value is
// not a valid profile.
type Board struct {
	// Name identifies the profile: the file name without ".toml".
	Name string `toml:"name"`
	// Description names the boards the profile fits, for people.
	Description string `toml:"description"`
	// GOOS, GOARCH and GOARM are the build target. GOARM is "6" or "7"
	// for GOARCH "arm" and empty otherwise.
	GOOS   string `toml:"goos"`
	GOARCH string `toml:"goarch"`
	GOARM  string `toml:"goarm"`
	// MaxConns is the number of CIP sessions served at once.
	MaxConns int `toml:"max_conns"`
	// GoMemLimit is the Go runtime's soft memory limit, in GOMEMLIMIT's
	// syntax ("96MiB"); empty means none. A GOMEMLIMIT variable in the
	// environment wins over it.
	GoMemLimit string `toml:"gomemlimit"`
	// GOGC is the Go garbage collector's target percentage, as the GOGC
	// variable gives it: a lower value keeps the heap closer to the live
	// data at the cost of more collections. Zero (unset) leaves it to
	// the daemon: 100 while the live heap is under 32 MiB, then lowered
	// toward 50 so that the collector's headroom stays 32 MiB. A GOGC variable in the environment and a
	// gogc in the configuration file win over it.
	GOGC int `toml:"gogc"`
	// MaxStoreBytes caps the data file for new invitations and changes that
	// grow a stored event (README, Security): the store is held in memory
	// too, so it is a fraction of the board's memory limit. Zero (unset)
	// means the daemon's default.
	MaxStoreBytes int64 `toml:"max_store_bytes"`
	// MaxHTTPConns bounds the HTTP connections open at once. Zero (unset)
	// means the daemon's default.
	MaxHTTPConns int `toml:"max_http_conns"`
	// DataDir is the data directory, an absolute path.
	DataDir string `toml:"data_dir"`
	// Unit is the file name of the board's systemd unit in this directory.
	Unit string `toml:"unit"`
	// QueueMaxBytesPerPeer bounds the outgoing queue kept for one other
	// server, in GOMEMLIMIT's syntax ("4MiB"); empty means the store's
	// default (8 MiB).
	QueueMaxBytesPerPeer string `toml:"queue_max_bytes_per_peer"`
}

// QueueMaxBytes returns QueueMaxBytesPerPeer in bytes, 0 when it is empty.
func (b Board) QueueMaxBytes() (int64, error) {
	if b.QueueMaxBytesPerPeer == "" {
		return 0, nil
	}
	return ParseMemLimit(b.QueueMaxBytesPerPeer)
}

// Target returns the build target as "goos/goarch" with "/v6" or "/v7"
// added for GOARCH arm, for example "linux/arm/v6".
func (b Board) Target() string {
	t := b.GOOS + "/" + b.GOARCH
	if b.GOARM != "" {
		t += "/v" + b.GOARM
	}
	return t
}

// MemoryLimit returns GoMemLimit in bytes, 0 when it is empty.
func (b Board) MemoryLimit() (int64, error) {
	if b.GoMemLimit == "" {
		return 0, nil
	}
	return ParseMemLimit(b.GoMemLimit)
}

// memUnits are GOMEMLIMIT's unit suffixes, longest first.
var memUnits = []struct {
	suffix string
	shift  uint
}{
	{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0},
}

// ParseMemLimit reads a size in GOMEMLIMIT's syntax: a decimal number of
// bytes, optionally followed by B, KiB, MiB, GiB or TiB. The value must be
// positive and fit in an int64. It is a pure function, safe for concurrent
// use.
func ParseMemLimit(s string) (int64, error) {
	num, shift := s, uint(0)
	for _, u := range memUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, shift = n, u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || num[0] == '+' {
		return 0, fmt.Errorf("boards: memory limit %q: want a positive number of bytes with B, KiB, MiB, GiB or TiB", s)
	}
	if n > (1<<63-1)>>shift {
		return 0, fmt.Errorf("boards: memory limit %q is too large", s)
	}
	return n << shift, nil
}

var loadAll = sync.OnceValues(func() ([]Board, error) {
	names, err := files.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("boards: %w", err)
	}
	var all []Board
	for _, e := range names {
		text, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, fmt.Errorf("boards: %w", err)
		}
		b, err := parse(e.Name(), string(text))
		if err != nil {
			return nil, err
		}
		all = append(all, b)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all, nil
})

// parse decodes and checks one profile file.
func parse(file, text string) (Board, error) {
	var b Board
	md, err := toml.Decode(text, &b)
	if err != nil {
		return b, fmt.Errorf("boards: %s: %w", file, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return b, fmt.Errorf("boards: %s: unknown key %s", file, und[0])
	}
	if err := b.check(strings.TrimSuffix(path.Base(file), ".toml")); err != nil {
		return b, fmt.Errorf("boards: %s: %w", file, err)
	}
	return b, nil
}

// check validates a profile read from the file named stem.toml.
func (b Board) check(stem string) error {
	switch {
	case b.Name != stem:
		return fmt.Errorf("name %q differs from the file name", b.Name)
	case b.GOOS != "linux":
		return fmt.Errorf("goos %q: only linux is supported", b.GOOS)
	case b.MaxConns <= 0:
		return fmt.Errorf("max_conns %d: want a positive number", b.MaxConns)
	case b.GOGC < 0:
		return fmt.Errorf("gogc %d: want a positive percentage", b.GOGC)
	case b.MaxStoreBytes < 0 || b.MaxHTTPConns < 0:
		return fmt.Errorf("max_store_bytes %d, max_http_conns %d: want positive numbers", b.MaxStoreBytes, b.MaxHTTPConns)
	case !path.IsAbs(b.DataDir):
		return fmt.Errorf("data_dir %q: want an absolute path", b.DataDir)
	case b.Unit == "" || strings.Contains(b.Unit, "/"):
		return fmt.Errorf("unit %q: want a file name", b.Unit)
	}
	switch b.GOARCH {
	case "arm":
		if b.GOARM != "6" && b.GOARM != "7" {
			return fmt.Errorf("goarm %q: want 6 or 7 for goarch arm", b.GOARM)
		}
	case "arm64", "amd64", "386", "riscv64":
		if b.GOARM != "" {
			return fmt.Errorf("goarm %q is only for goarch arm", b.GOARM)
		}
	default:
		return fmt.Errorf("goarch %q: want arm, arm64, amd64, 386 or riscv64", b.GOARCH)
	}
	if _, err := b.MemoryLimit(); err != nil {
		return err
	}
	if _, err := b.QueueMaxBytes(); err != nil {
		return err
	}
	return nil
}

// All returns every profile, sorted by name. It panics if an embedded
// profile is invalid, which the package's tests rule out. Safe for
// concurrent use; the slice is the caller's.
func All() []Board {
	all, err := loadAll()
	if err != nil {
		panic(err)
	}
	return append([]Board(nil), all...)
}

// Names returns the profiles' names, sorted. Safe for concurrent use.
func Names() []string {
	var names []string
	for _, b := range All() {
		names = append(names, b.Name)
	}
	return names
}

// ErrUnknown is matched by the error of Lookup for a name no profile has.
var ErrUnknown = errors.New("boards: unknown board")

// Lookup returns the profile called name. An unknown name gives an error
// matching ErrUnknown that lists the known ones. Safe for concurrent use.
func Lookup(name string) (Board, error) {
	for _, b := range All() {
		if b.Name == name {
			return b, nil
		}
	}
	return Board{}, fmt.Errorf("%w %q (known: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}
