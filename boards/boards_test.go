package boards

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The four targets each have a profile, and every profile is valid.
func TestAllProfiles(t *testing.T) {
	all := All()
	targets := map[string]string{}
	for _, b := range all {
		targets[b.Target()] = b.Name
		if b.Description == "" {
			t.Errorf("%s: no description", b.Name)
		}
		if _, err := os.Stat(b.Unit); err != nil {
			t.Errorf("%s: unit file: %v", b.Name, err)
		}
	}
	for _, want := range []string{"linux/arm/v6", "linux/arm/v7", "linux/arm64", "linux/amd64"} {
		if targets[want] == "" {
			t.Errorf("no profile builds %s (have %v)", want, targets)
		}
	}
	zero, err := Lookup("pi-zero")
	if err != nil || zero.Target() != "linux/arm/v6" || zero.MaxConns != 16 {
		t.Fatalf("pi-zero: %+v, %v", zero, err)
	}
	if n, err := zero.MemoryLimit(); err != nil || n != 128<<20 {
		t.Fatalf("pi-zero memory limit %d, %v", n, err)
	}
	if zero.GOGC != 50 {
		t.Fatalf("pi-zero gogc %d", zero.GOGC)
	}
	// All returns a copy.
	all[0].Name = "changed"
	if All()[0].Name == "changed" {
		t.Fatal("All shares its slice")
	}
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("pi-zero-x")
	if !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "(known: generic-amd64, pi-arm64, pi-armv7, pi-zero)") {
		t.Fatalf("got %v", err)
	}
}

// plainLine is the subset of TOML the profiles keep to, so that
// scripts/build.sh can read them with sed.
var plainLine = regexp.MustCompile(`^(#.*|[a-z_]+ = ("[^"\\]*"|[0-9]+))?$`)

func TestProfilesArePlain(t *testing.T) {
	files, err := filepath.Glob("*.toml")
	if err != nil || len(files) < 4 {
		t.Fatalf("profiles: %v %v", files, err)
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(strings.TrimSuffix(string(text), "\n"), "\n") {
			if !plainLine.MatchString(line) {
				t.Errorf("%s:%d: not a plain `key = value` line: %q", f, i+1, line)
			}
		}
	}
}

func TestParseRejects(t *testing.T) {
	good := "name = \"b\"\ndescription = \"d\"\ngoos = \"linux\"\ngoarch = \"arm\"\ngoarm = \"6\"\n" +
		"max_conns = 4\ngomemlimit = \"64MiB\"\ndata_dir = \"/var/lib/x\"\nunit = \"x.service\"\n"
	if _, err := parse("b.toml", good); err != nil {
		t.Fatalf("good profile: %v", err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{`name = "b"`, `name = "c"`, "differs from the file name"},
		{`goos = "linux"`, `goos = "windows"`, "only linux"},
		{`goarm = "6"`, `goarm = "5"`, "want 6 or 7"},
		{`goarch = "arm"`, `goarch = "arm64"`, "only for goarch arm"},
		{`goarch = "arm"`, `goarch = "mips"`, "goarch \"mips\""},
		{`max_conns = 4`, `max_conns = 0`, "max_conns 0"},
		{`gomemlimit = "64MiB"`, `gomemlimit = "64MB"`, "memory limit"},
		{`data_dir = "/var/lib/x"`, `data_dir = "var/lib/x"`, "absolute"},
		{`unit = "x.service"`, `unit = "a/x.service"`, "want a file name"},
		{`unit = "x.service"`, `unit = "x.service"` + "\nextra = 1", "unknown key extra"},
		{`max_conns = 4`, `max_conns = "4"`, "max_conns"},
		{`max_conns = 4`, "max_conns = 4\ngogc = -1", "gogc -1"},
	} {
		_, err := parse("b.toml", strings.Replace(good, tc.from, tc.to, 1))
		if err == nil || !strings.HasPrefix(err.Error(), "boards: b.toml: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.to, err, tc.want)
		}
	}
}

func TestParseMemLimit(t *testing.T) {
	for s, want := range map[string]int64{
		"1": 1, "512B": 512, "4KiB": 4 << 10, "96MiB": 96 << 20, "2GiB": 2 << 30, "1TiB": 1 << 40,
		"8388607TiB": 8388607 << 40,
	} {
		if got, err := ParseMemLimit(s); err != nil || got != want {
			t.Errorf("%s: %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "B", "MiB", "0", "-1MiB", "+1MiB", "1.5GiB", "1 MiB", "1MB", "1mib", "off", "8388608TiB", "99999999999999999999"} {
		if n, err := ParseMemLimit(s); err == nil || !strings.HasPrefix(err.Error(), "boards: ") {
			t.Errorf("%q: got %d, %v; want an error", s, n, err)
		}
	}
}
