package main

import (
	"debug/buildinfo"
	"runtime"
	"testing"
)

// The daemon the tests drive is built for the architecture the tests run
// on: under `GOARCH=arm GOARM=6 go test -exec qemu-arm-static` (CI), the
// conformance sessions and every other daemon test run against the ARMv6
// binary, so that 32-bit problems show up there.
func TestDaemonBinaryTarget(t *testing.T) {
	bi, err := buildinfo.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOOS"] != runtime.GOOS || settings["GOARCH"] != runtime.GOARCH {
		t.Fatalf("the daemon is built for %s/%s, the tests run on %s/%s",
			settings["GOOS"], settings["GOARCH"], runtime.GOOS, runtime.GOARCH)
	}
	if got, want := "linux/"+settings["GOARCH"]+armSuffix(settings["GOARM"]), builtTarget(); got != want {
		t.Fatalf("the daemon is built for %s, the tests for %s", got, want)
	}
	t.Logf("daemon built for %s", builtTarget())
}

func armSuffix(goarm string) string {
	if goarm == "" {
		return ""
	}
	return "/v" + goarm
}
