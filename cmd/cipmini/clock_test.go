package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestClockOffsetFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clock")
	if err := os.WriteFile(path, []byte("48h\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(clockEnv, path)
	now, err := newClock()
	if err != nil {
		t.Fatal(err)
	}
	if d := now().Sub(time.Now()); d < 47*time.Hour || d > 49*time.Hour {
		t.Fatalf("offset %v, want about 48h", d)
	}
	want := time.Date(2031, 6, 1, 3, 0, 0, 0, time.UTC)
	if err := os.WriteFile(path, []byte(want.Format(time.RFC3339)), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := now(); got.Before(want) || got.After(want.Add(time.Minute)) {
		t.Fatalf("clock shows %v after the file said %v", got, want)
	}
	if err := os.WriteFile(path, []byte("soon"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := now(); got.Before(want) || got.After(want.Add(time.Minute)) {
		t.Fatalf("a bad file moved the clock to %v", got)
	}
	t.Setenv(clockEnv, filepath.Join(t.TempDir(), "missing"))
	if _, err := newClock(); err == nil {
		t.Fatal("a missing clock file was accepted")
	}
}
