package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/boards"
)

// runScript runs a shell script with an environment added to this one's and
// returns its combined output.
func runScript(t *testing.T, env []string, script string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not end within 2 minutes:\n%s", script, out.String())
	}
	return "", nil
}

// The scripts are valid bash, and shellcheck finds nothing in them where it
// is installed (CI installs it).
func TestScriptsSyntax(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("..", "..", "scripts", "*.sh"))
	if err != nil || len(scripts) < 2 {
		t.Fatalf("scripts: %v %v", scripts, err)
	}
	for _, s := range scripts {
		if out, err := exec.Command("bash", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
		if fi, err := os.Stat(s); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable: %v", s, err)
		}
	}
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck is not installed: CI must check the scripts")
		}
		t.Skip("shellcheck is not installed")
	}
	if out, err := exec.Command(sc, scripts...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// hostBoard is the profile this test binary's target runs: the board
// whose binary install.sh can check here.
func hostBoard(t *testing.T) string {
	for _, b := range boards.All() {
		if b.Target() == builtTarget() {
			return b.Name
		}
	}
	t.Skipf("no board profile for %s", builtTarget())
	return ""
}

// install.sh, run with DESTDIR from a folder laid out as build.sh leaves
// dist/: it installs the binary, the unit, the board's name and a
// configuration made from the demo that `cipmini check` accepts with the
// board's data directory; run again, it keeps the edited configuration;
// it refuses an unknown board and a missing binary.
func TestInstallScript(t *testing.T) {
	board := hostBoard(t)
	dist := t.TempDir()
	copyFile := func(from, to string, mode os.FileMode) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dist, to), b, mode); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(binary, "cipmini-"+board, 0o755)
	copyFile(filepath.Join("..", "..", "scripts", "install.sh"), "install.sh", 0o755)
	copyFile(filepath.Join("..", "..", "boards", "cipmini.service"), "cipmini.service", 0o644)
	copyFile("demo.toml", "cipmini.toml.example", 0o644)
	root := t.TempDir()
	env := []string{"DESTDIR=" + root}
	script := filepath.Join(dist, "install.sh")

	out, err := runScript(t, env, script, board)
	if err != nil {
		t.Fatalf("install.sh %s: %v\n%s", board, err, out)
	}
	same := func(installed, source string, mode os.FileMode) {
		got, err := os.ReadFile(filepath.Join(root, installed))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(filepath.Join(dist, source))
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s", installed, source)
		}
		if fi, _ := os.Stat(filepath.Join(root, installed)); fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", installed, fi.Mode().Perm(), mode)
		}
	}
	same("usr/local/bin/cipmini", "cipmini-"+board, 0o755)
	same("etc/systemd/system/cipmini.service", "cipmini.service", 0o644)
	if b, err := os.ReadFile(filepath.Join(root, "etc/default/cipmini")); err != nil || string(b) != "CIPMINI_BOARD="+board+"\n" {
		t.Errorf("/etc/default/cipmini: %q %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(root, "var/lib/cipmini")); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("/var/lib/cipmini: %v %v", fi, err)
	}
	config := filepath.Join(root, "etc/cipmini/cipmini.toml")
	text, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(text), "data_dir") || !strings.Contains(string(text), "listen = \":5229\"\n") {
		t.Errorf("installed configuration:\n%s", text)
	}
	out, err = runCmd(t, "", "check", "--config", config, "--board", board)
	if err != nil || !strings.Contains(out, "listen :5229, data /var/lib/cipmini\n") {
		t.Errorf("check of the installed configuration: %v\n%s", err, out)
	}

	// Again, over an edited configuration: it stays.
	edited := strings.Replace(string(text), `server_id = "cipmini.local"`, `server_id = "rooms.example"`, 1)
	if err := os.WriteFile(config, []byte(edited), 0o640); err != nil {
		t.Fatal(err)
	}
	if out, err := runScript(t, env, script, board); err != nil || strings.Contains(out, "from the demo") {
		t.Fatalf("install.sh again: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(config); string(b) != edited {
		t.Error("install.sh replaced an existing configuration")
	}
	// A configuration that does not pass check stops it.
	if err := os.WriteFile(config, []byte("server_id = \"x\"\nbogus = 1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if out, err := runScript(t, env, script, board); err == nil || !strings.Contains(out, "does not pass 'cipmini check'") {
		t.Errorf("broken configuration: %v\n%s", err, out)
	}
	os.WriteFile(config, []byte(edited), 0o640)

	// An unknown board, and a board without its binary.
	copyFile(binary, "cipmini-pi-9", 0o755)
	if out, err := runScript(t, env, script, "pi-9"); err == nil || !strings.Contains(out, `unknown board "pi-9"`) {
		t.Errorf("unknown board: %v\n%s", err, out)
	}
	other := "pi-arm64"
	if board == other {
		other = "generic-amd64"
	}
	if out, err := runScript(t, env, script, other); err == nil || !strings.Contains(out, "no binary cipmini-"+other) {
		t.Errorf("missing binary: %v\n%s", err, out)
	}
	if out, err := runScript(t, env, script); err == nil || !strings.Contains(out, "usage: install.sh BOARD") {
		t.Errorf("no board: %v\n%s", err, out)
	}
}
