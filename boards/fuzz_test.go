package boards

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParse feeds profile files and memory limits to the parsers: they
// answer or fail with an error, never panic, and what they accept is valid.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"pi-zero.toml", "pi-armv7.toml", "pi-arm64.toml", "generic-amd64.toml"} {
		text, err := files.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.Replace(string(text), strings.TrimSuffix(name, ".toml"), "fuzz", 1))
	}
	for _, s := range []string{"128MiB", "1", "8388607TiB", "0B", "-1", "1e9", "max_conns = 99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if b, err := parse("fuzz.toml", text); err == nil {
			if err := b.check("fuzz"); err != nil {
				t.Fatalf("parse accepted a profile that check rejects: %v", err)
			}
			if n, err := b.MemoryLimit(); err != nil || n < 0 {
				t.Fatalf("accepted profile has memory limit %d, %v", n, err)
			}
		} else if !strings.HasPrefix(err.Error(), "boards: fuzz.toml: ") {
			t.Fatalf("error without its prefix: %v", err)
		}
		if n, err := ParseMemLimit(text); err == nil {
			if n <= 0 {
				t.Fatalf("ParseMemLimit(%q) = %d", text, n)
			}
			if m, err := ParseMemLimit(strconv.FormatInt(n, 10)); err != nil || m != n {
				t.Fatalf("ParseMemLimit(%q) = %d, but %d reads back as %d, %v", text, n, n, m, err)
			}
		}
	})
}
