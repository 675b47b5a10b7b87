package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNotifyEnv(t *testing.T) {
	for _, tc := range []struct {
		env      map[string]string
		addr     string
		interval time.Duration
		err      string
	}{
		{env: map[string]string{}},
		{env: map[string]string{"NOTIFY_SOCKET": "/run/systemd/notify"}, addr: "/run/systemd/notify"},
		{env: map[string]string{"NOTIFY_SOCKET": "@abstract"}, addr: "@abstract"},
		{env: map[string]string{"NOTIFY_SOCKET": "@n", "WATCHDOG_USEC": "30000000"}, addr: "@n", interval: 15 * time.Second},
		{env: map[string]string{"NOTIFY_SOCKET": "@n", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"}, addr: "@n", interval: 15 * time.Second},
		{env: map[string]string{"NOTIFY_SOCKET": "@n", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "43"}, addr: "@n"},
		{env: map[string]string{"NOTIFY_SOCKET": "relative/path"}, err: "NOTIFY_SOCKET"},
		{env: map[string]string{"NOTIFY_SOCKET": "vsock:2:1234"}, err: "NOTIFY_SOCKET"},
		{env: map[string]string{"NOTIFY_SOCKET": "@n", "WATCHDOG_USEC": "0"}, addr: "@n", err: "WATCHDOG_USEC"},
		{env: map[string]string{"NOTIFY_SOCKET": "@n", "WATCHDOG_USEC": "-5"}, addr: "@n", err: "WATCHDOG_USEC"},
		{env: map[string]string{"NOTIFY_SOCKET": "@n", "WATCHDOG_USEC": "1e6"}, addr: "@n", err: "WATCHDOG_USEC"},
		{env: map[string]string{"NOTIFY_SOCKET": "@n", "WATCHDOG_USEC": "99999999999999999999"}, addr: "@n", err: "WATCHDOG_USEC"},
		{env: map[string]string{"WATCHDOG_USEC": "1000000"}},
	} {
		addr, interval, err := notifyEnv(func(k string) string { return tc.env[k] }, 42)
		if addr != tc.addr || interval != tc.interval || (err == nil) != (tc.err == "") ||
			(err != nil && !strings.HasPrefix(err.Error(), "cipmini: "+tc.err)) {
			t.Errorf("%v: got %q %v %v, want %q %v error %q", tc.env, addr, interval, err, tc.addr, tc.interval, tc.err)
		}
	}
}

// probeGreeting passes a CIP server's greeting, and a full server's, and
// fails anything else within its timeout.
func TestProbeGreeting(t *testing.T) {
	serve := func(greeting string) net.Addr {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				if greeting != "" {
					c.Write([]byte(greeting))
				}
				// A silent server holds the connection until the test ends.
				t.Cleanup(func() { c.Close() })
			}
		}()
		return l.Addr()
	}
	for greeting, ok := range map[string]bool{
		"OK CIP 1.0 rooms.example\r\n":    true,
		"NO 007 Too many connections\r\n": true,
		"220 smtp.example ESMTP\r\n":      false,
		"":                                false,
		"OK CIP 1.0 " + strings.Repeat("x", 2000): false,
	} {
		err := probeGreeting(serve(greeting), 500*time.Millisecond)
		if (err == nil) != ok {
			t.Errorf("greeting %.30q: %v", greeting, err)
		}
	}
	// Every address: the probe goes to loopback on the port.
	addr := serve("OK CIP 1.0 x\r\n").(*net.TCPAddr)
	if err := probeGreeting(&net.TCPAddr{IP: net.IPv4zero, Port: addr.Port}, time.Second); err != nil {
		t.Errorf("0.0.0.0: %v", err)
	}
	if err := probeGreeting(&net.TCPAddr{Port: addr.Port}, time.Second); err != nil {
		t.Errorf("no IP: %v", err)
	}
	// A closed port.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr()
	l.Close()
	if err := probeGreeting(closed, time.Second); err == nil {
		t.Error("closed port passed")
	}
}

// notifySocket listens on a datagram socket like systemd's and returns the
// notifications it receives.
func notifySocket(t *testing.T, name string) <-chan string {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(ch)
				return
			}
			select {
			case ch <- string(buf[:n]):
			default: // the test stopped reading
			}
		}
	}()
	return ch
}

// await reads notifications until one starts with want.
func await(t *testing.T, ch <-chan string, want string, d *daemonProc) string {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case msg, ok := <-ch:
			if !ok {
				t.Fatalf("notify socket closed before %q", want)
			}
			if strings.HasPrefix(msg, want) {
				return msg
			}
		case <-timeout:
			t.Fatalf("no %q within 60 s; log:\n%s", want, d.log)
		}
	}
}

// `cipmini serve` under systemd: READY=1 once it serves, WATCHDOG=1 at
// half of WATCHDOG_USEC, STOPPING=1 on SIGTERM, over a socket path and
// over an abstract socket.
func TestSystemdNotify(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"path", "abstract"} {
		t.Run(name, func(t *testing.T) {
			sock := filepath.Join(t.TempDir(), "notify")
			if name == "abstract" {
				sock = fmt.Sprintf("@cipmini-test-%d-%d", os.Getpid(), time.Now().UnixNano())
			}
			ch := notifySocket(t, sock)
			d, err := launchDaemonEnv([]string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=400000"}, "", t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.stop(t) })
			ready := await(t, ch, "READY=1", d)
			if !strings.Contains(ready, "\nSTATUS=serving cipmini.local on "+d.addr) {
				t.Errorf("READY message %q lacks the status", ready)
			}
			if r, err := d.client(t).Noop(t.Context()); err != nil || !r.Completion.OK {
				t.Fatalf("NOOP after READY=1: %v %+v", err, r)
			}
			for i := 0; i < 3; i++ {
				await(t, ch, "WATCHDOG=1", d)
			}
			d.stop(t)
			await(t, ch, "STOPPING=1", d)
		})
	}
}

// Without a watchdog, or with one meant for another process, no WATCHDOG=1
// is sent; and a NOTIFY_SOCKET that does not exist does not stop the
// server.
func TestSystemdNotifyWithoutWatchdog(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "notify")
	ch := notifySocket(t, sock)
	d, err := launchDaemonEnv([]string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=200000", "WATCHDOG_PID=1"}, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	await(t, ch, "READY=1", d)
	time.Sleep(time.Second)
	d.stop(t)
	await(t, ch, "STOPPING=1", d)
	for len(ch) > 0 {
		t.Errorf("unexpected notification %q", <-ch)
	}

	d, err = launchDaemonEnv([]string{"NOTIFY_SOCKET=" + filepath.Join(t.TempDir(), "absent")}, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(d.log.String(), "cannot reach systemd's NOTIFY_SOCKET") {
		if time.Now().After(deadline) {
			t.Fatalf("no error logged for a missing socket:\n%s", d.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r, err := d.client(t).Noop(t.Context()); err != nil || !r.Completion.OK {
		t.Fatalf("NOOP: %v %+v", err, r)
	}
}
