package boards

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// unitSettings reads a unit file's `Key=value` lines, keyed by section and
// key; a key given more than once keeps every value.
func unitSettings(t *testing.T, file string) map[string][]string {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]string{}
	section := ""
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: malformed line %q", file, line)
			}
			m[section+"."+k] = append(m[section+"."+k], v)
		}
	}
	return m
}

// Every board's unit is a notify service with a watchdog, restarted on
// failure, run as the cipmini user, sandboxed, with the board's data
// directory as its only writable path.
func TestUnitFiles(t *testing.T) {
	for _, b := range All() {
		u := unitSettings(t, b.Unit)
		for k, v := range map[string]string{
			"Service.Type":                    "notify",
			"Service.NotifyAccess":            "main",
			"Service.WatchdogSec":             "30s",
			"Service.Restart":                 "on-failure",
			"Service.User":                    "cipmini",
			"Service.Group":                   "cipmini",
			"Service.ExecStart":               "/usr/local/bin/cipmini serve --config /etc/cipmini/cipmini.toml --board ${CIPMINI_BOARD}",
			"Service.EnvironmentFile":         "/etc/default/cipmini",
			"Service.ProtectSystem":           "strict",
			"Service.ReadWritePaths":          b.DataDir,
			"Service.WorkingDirectory":        b.DataDir,
			"Service.StateDirectory":          filepath.Base(b.DataDir),
			"Service.ProtectHome":             "yes",
			"Service.PrivateDevices":          "yes",
			"Service.NoNewPrivileges":         "yes",
			"Service.CapabilityBoundingSet":   "",
			"Service.RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
			"Service.SystemCallArchitectures": "native",
			"Install.WantedBy":                "multi-user.target",
		} {
			if got := u[k]; len(got) != 1 || got[0] != v {
				t.Errorf("%s: %s = %q, want %q", b.Unit, k, got, v)
			}
		}
		// No other writable path: no PrivateTmp, no second ReadWritePaths.
		for _, k := range []string{"Service.PrivateTmp", "Service.ReadWriteDirectories", "Service.CacheDirectory", "Service.LogsDirectory", "Service.RuntimeDirectory"} {
			if v, ok := u[k]; ok {
				t.Errorf("%s: %s = %q makes another path writable", b.Unit, k, v)
			}
		}
		if b.DataDir != "/var/lib/"+filepath.Base(b.DataDir) {
			t.Errorf("%s: data_dir %s is not under /var/lib, where StateDirectory= puts it", b.Name, b.DataDir)
		}
	}
}

// systemd itself accepts the unit: systemd-analyze verify reports every
// unknown key or bad value (on standard error, with exit status 0).
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is not installed (Debian package systemd): CI must verify the unit")
		}
		t.Skip("systemd-analyze is not installed")
	}
	seen := map[string]bool{}
	for _, b := range All() {
		if seen[b.Unit] {
			continue
		}
		seen[b.Unit] = true
		text, err := os.ReadFile(b.Unit)
		if err != nil {
			t.Fatal(err)
		}
		// verify checks that ExecStart's program exists and is executable.
		fake := filepath.Join(t.TempDir(), "cipmini")
		if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		unit := filepath.Join(t.TempDir(), b.Unit)
		if err := os.WriteFile(unit, bytes.ReplaceAll(text, []byte("/usr/local/bin/cipmini"), []byte(fake)), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(analyze, "verify", "--man=no", unit)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err = <-done:
		case <-time.After(2 * time.Minute):
			cmd.Process.Kill()
			<-done
			t.Fatal("systemd-analyze verify did not end within 2 minutes")
		}
		// Lines about the host's own units are not this unit's business.
		var mine []string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if strings.Contains(l, b.Unit) {
				mine = append(mine, l)
			}
		}
		if err != nil || len(mine) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", b.Unit, err, out.String())
		}
	}
}

// The README's board table lists every profile with its values.
func TestReadmeBoardTable(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, deploy, ok := strings.Cut(string(text), "## Deploy on a Raspberry Pi")
	if !ok {
		t.Fatal("README.md has no section \"Deploy on a Raspberry Pi\"")
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|(.*)\\|$")
	rows := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(deploy, -1) {
		rows[m[1]] = m[2]
	}
	for _, b := range All() {
		r, ok := rows[b.Name]
		if !ok {
			t.Errorf("README board table: no row for %s", b.Name)
			continue
		}
		cells := strings.Split(r, "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		limit := b.GoMemLimit
		if limit == "" {
			limit = "none"
		}
		gogc := "auto"
		if b.GOGC != 0 {
			gogc = strconv.Itoa(b.GOGC)
		}
		want := []string{b.Description, b.Target(), strconv.Itoa(b.MaxConns), limit, gogc}
		if strings.Join(cells, "|") != strings.Join(want, "|") {
			t.Errorf("README row for %s: %q, want %q", b.Name, cells, want)
		}
		delete(rows, b.Name)
	}
	for name := range rows {
		t.Errorf("README board table: row %s has no profile", name)
	}
}
