package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// notifier speaks systemd's notification protocol (sd_notify(3)): it sends
// READY=1 once the server listens, WATCHDOG=1 at half the watchdog interval
// while the server answers on its own port, and STOPPING=1 when it shuts
// down. It does nothing when NOTIFY_SOCKET is not set. A nil *notifier is
// valid and does nothing. Its methods are safe for concurrent use.
type notifier struct {
	conn     *net.UnixConn
	log      *slog.Logger
	interval time.Duration // between WATCHDOG=1 messages; 0 without a watchdog

	mu       sync.Mutex
	failed   bool // a send failed and was logged; later failures are not
	stop     chan struct{}
	stopOnce sync.Once
	running  sync.WaitGroup // the watchdog
}

// notifyEnv reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID as getenv
// gives them. It returns the socket's address ("" when not set or invalid)
// and the watchdog's interval between pings (0 when there is none for this
// process or WATCHDOG_USEC is invalid).
func notifyEnv(getenv func(string) string, pid int) (addr string, interval time.Duration, err error) {
	addr = getenv("NOTIFY_SOCKET")
	if addr == "" {
		return "", 0, nil
	}
	if addr[0] != '/' && addr[0] != '@' {
		return "", 0, fmt.Errorf("cipmini: NOTIFY_SOCKET=%q: want a socket path or an abstract name (@name)", addr)
	}
	usec := getenv("WATCHDOG_USEC")
	if usec == "" {
		return addr, 0, nil
	}
	if p := getenv("WATCHDOG_PID"); p != "" && p != strconv.Itoa(pid) {
		return addr, 0, nil // the watchdog is another process's
	}
	n, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || n == 0 || n > uint64(24*time.Hour/time.Microsecond) {
		return addr, 0, fmt.Errorf("cipmini: WATCHDOG_USEC=%q: want microseconds, at most a day", usec)
	}
	return addr, time.Duration(n) * time.Microsecond / 2, nil
}

// newNotifier connects to NOTIFY_SOCKET. A bad or unreachable socket is
// logged and gives a nil notifier: the server runs on without systemd. A bad
// WATCHDOG_USEC is logged and leaves the watchdog out.
func newNotifier(logger *slog.Logger) *notifier {
	addr, interval, err := notifyEnv(os.Getenv, os.Getpid())
	if err != nil {
		logger.Error(err.Error())
	}
	if addr == "" {
		return nil
	}
	// Go's net package takes a leading @ as Linux's abstract namespace.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		logger.Error("cipmini: cannot reach systemd's NOTIFY_SOCKET", "socket", addr, "err", err)
		return nil
	}
	return &notifier{conn: conn, log: logger, interval: interval, stop: make(chan struct{})}
}

// send writes one notification; a failure is logged once.
func (n *notifier) send(state string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := n.conn.Write([]byte(state)); err != nil && !n.failed {
		n.failed = true
		n.log.Error("cipmini: sending to systemd's NOTIFY_SOCKET", "state", state, "err", err)
	}
}

// ready sends READY=1 with a status line, then starts the watchdog when
// systemd asked for one: it pings after each successful probe of the
// server at addr, the address it listens on.
func (n *notifier) ready(status string, addr net.Addr) {
	if n == nil {
		return
	}
	n.send("READY=1\nSTATUS=" + strings.ReplaceAll(status, "\n", " "))
	if n.interval == 0 {
		return
	}
	n.running.Add(1)
	go n.watchdog(addr)
}

// watchdog sends WATCHDOG=1 every interval while probeGreeting succeeds.
// A failed probe is logged and withholds the ping, so that systemd
// restarts a server that stopped answering.
func (n *notifier) watchdog(addr net.Addr) {
	defer n.running.Done()
	t := time.NewTicker(n.interval)
	defer t.Stop()
	for {
		if err := probeGreeting(addr, min(n.interval, 5*time.Second)); err != nil {
			n.log.Error("cipmini: watchdog: the server does not answer on its own port; not telling systemd it is alive", "err", err)
		} else {
			n.send("WATCHDOG=1")
		}
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
	}
}

// stopping stops the watchdog and sends STOPPING=1.
func (n *notifier) stopping() {
	if n == nil {
		return
	}
	n.stopOnce.Do(func() { close(n.stop) })
	n.running.Wait()
	n.send("STOPPING=1")
}

// close stops the watchdog and closes the socket.
func (n *notifier) close() {
	if n == nil {
		return
	}
	n.stopOnce.Do(func() { close(n.stop) })
	n.running.Wait()
	n.conn.Close()
}

// probeGreeting connects to the server at addr (over loopback when it
// listens on every address) and reads its greeting, within timeout. A
// greeting of "OK CIP" or, when the server is full, "NO 007" passes.
func probeGreeting(addr net.Addr, timeout time.Duration) error {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return fmt.Errorf("not a TCP address: %v", addr)
	}
	target := *ta
	if target.IP == nil || target.IP.IsUnspecified() {
		target.IP = net.IPv4(127, 0, 0, 1)
		if ta.IP != nil && ta.IP.To4() == nil {
			target.IP = net.IPv6loopback
		}
	}
	c, err := net.DialTimeout("tcp", target.String(), timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReader(io.LimitReader(c, 1024)).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the greeting: %w", err)
	}
	if !strings.HasPrefix(line, "OK CIP ") && !strings.HasPrefix(line, "NO 007") {
		return errors.New("unexpected greeting " + strconv.Quote(strings.TrimSpace(line)))
	}
	return nil
}
