package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The bounds' keys are read, checked, filled in from the board where the
// file is silent, and shown by `cipmini check`.
func TestQuotaSettings(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.toml")
	for _, tc := range []struct{ text, board, want string }{
		{"", "", "quotas: 4194304 data octets per hour per client, store cap 67108864 octets, 64 HTTP connections"},
		{"", "pi-zero", "quotas: 4194304 data octets per hour per client, store cap 33554432 octets, 32 HTTP connections"},
		{"", "pi-zero", "limits: 8 connections per address"},
		{"max_conns = 40\n", "", "limits: 20 connections per address"},
		{"max_store_bytes = 1000\nmax_http_conns = 3\nmax_bytes_per_hour = 0\n", "pi-zero",
			"quotas: unlimited data octets per hour per client, store cap 1000 octets, 3 HTTP connections"},
		{"max_store_bytes = -1\n", "", "error: max_store_bytes = -1"},
		{"max_http_conns = -2\n", "", "error: max_http_conns = -2"},
		{"auth_failure_delay = \"soon\"\n", "", "error: auth_failure_delay"},
		{"busy_idle_timeout = \"-3s\"\n", "", "error: busy_idle_timeout"},
	} {
		os.WriteFile(cfg, []byte("server_id = \"r.example\"\n"+tc.text), 0o600)
		args := []string{"check", "--config", cfg}
		if tc.board != "" {
			args = append(args, "--board", tc.board)
		}
		out, err := runCmd(t, "", args...)
		want, wantErr := strings.CutPrefix(tc.want, "error: ")
		if !strings.Contains(out, want) || (err != nil) != wantErr {
			t.Errorf("check of %q on %q: %v\n%s\nwant %q", tc.text, tc.board, err, out, tc.want)
		}
	}
}
