package main

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// A stream of wrong HTTP Basic passwords from one address reaches the
// password at most the limit (10 a minute) times: the rest are refused
// unchecked with 429, even the right password; the block holds for CIP
// LOGIN and the panel PIN from that address too, and not for another
// address. The count of bcrypt comparisons comes from /metrics.
func TestHTTPBasicGuessingThrottled(t *testing.T) {
	d := startDaemon(t, boundsConfig(t, ""), t.TempDir())
	base := httpBase(t, d)
	fb := base + "/freebusy/alice.ifb"
	attacker := httpFrom("127.0.0.1")
	start := time.Now()
	const tries = 300
	codes := map[int]int{}
	for i := 0; i < tries; i++ {
		codes[getAs(t, attacker, fb, "alice", "guess"+string(rune('a'+i%26)))]++
	}
	elapsed := time.Since(start)
	checks := metric(t, base, "cipmini_bcrypt_checks_total")
	// 10 a minute, and one more for each 6 s the run took.
	allowed := int64(10 + int(elapsed/(6*time.Second)) + 1)
	if checks > allowed || checks < 10 {
		t.Fatalf("%d of %d wrong passwords were checked in %v; want 10 to %d", checks, tries, elapsed, allowed)
	}
	if int64(codes[401]) != checks || codes[429] != tries-int(checks) {
		t.Fatalf("answers %v for %d checks", codes, checks)
	}
	if code := getAs(t, attacker, fb, "alice", "wonderland"); code != 429 {
		t.Fatalf("the right password from a blocked address: %d", code)
	}
	if got := metric(t, base, "cipmini_bcrypt_checks_total"); got != checks {
		t.Fatalf("a refused attempt was checked: %d -> %d", checks, got)
	}
	// The same count holds CIP LOGIN and the panel PIN of that address.
	if _, greeting := cipFrom(t, d, "127.0.0.1"); greeting != "NO 007 Too many failed logins, try again later" {
		t.Fatalf("CIP from the blocked address: %q", greeting)
	}
	if code, v := panelPostFrom(t, "127.0.0.1", base, "checkin", "4321"); code != 403 {
		t.Fatalf("panel PIN from the blocked address: %d %v", code, v)
	}
	// Another address is not affected.
	if code := getAs(t, httpFrom("127.0.0.2"), fb, "alice", "wonderland"); code != 200 {
		t.Fatalf("alice from another address: %d", code)
	}
}

// An unknown name, a name without a password and a wrong password each
// cost one bcrypt comparison, over HTTP Basic and CIP LOGIN alike, so that
// the answer's timing does not tell which names exist.
func TestUnknownUserCostsLikeWrongPassword(t *testing.T) {
	d := startDaemon(t, boundsConfig(t, ""), t.TempDir())
	base := httpBase(t, d)
	c := httpFrom("127.0.0.3")
	last := metric(t, base, "cipmini_bcrypt_checks_total")
	for _, login := range []string{"nobody", "alice", "room-1", "nobody@elsewhere.test", "alice"} {
		if code := getAs(t, c, base+"/freebusy/alice.ifb", login, "guess"); code != 401 {
			t.Fatalf("HTTP %s: %d", login, code)
		}
		n := metric(t, base, "cipmini_bcrypt_checks_total")
		if n != last+1 {
			t.Fatalf("HTTP Basic as %s: %d bcrypt comparisons, want 1", login, n-last)
		}
		last = n
	}
	for _, login := range []string{"nobody", "alice", "room-1"} {
		cc, greeting := cipFrom(t, d, "127.0.0.4")
		if !strings.HasPrefix(greeting, "OK CIP") {
			t.Fatalf("greeting %q", greeting)
		}
		if got := cc.cmd("AUTHENTICATE LOGIN " + login + " guess"); got != "NO 000 Access denied." {
			t.Fatalf("LOGIN %s: %q", login, got)
		}
		n := metric(t, base, "cipmini_bcrypt_checks_total")
		if n != last+1 {
			t.Fatalf("CIP LOGIN as %s: %d bcrypt comparisons, want 1", login, n-last)
		}
		last = n
	}
}

// 30 parallel LOGINs with wrong passwords from one address: at most the
// limit (10) reach the password, because each takes its slot first. The
// hash's cost (8, some milliseconds a check) makes the checks overlap.
func TestParallelLoginsHoldTheLimit(t *testing.T) {
	d := startDaemon(t, boundsConfigHash(t, "", hashAt(8)), t.TempDir())
	base := httpBase(t, d)
	var conns []*cipConn
	for i := 0; i < 30; i++ {
		c, greeting := cipFrom(t, d, "127.0.0.5")
		if !strings.HasPrefix(greeting, "OK CIP") {
			t.Fatalf("connection %d: %q", i, greeting)
		}
		conns = append(conns, c)
	}
	var wg sync.WaitGroup
	answers := make([]string, len(conns))
	start := make(chan struct{})
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c.conn.Write([]byte("AUTHENTICATE LOGIN alice guess\r\n"))
			answers[i] = c.completion()
		}()
	}
	close(start)
	wg.Wait()
	for i, a := range answers {
		if a != "NO 000 Access denied." {
			t.Errorf("LOGIN %d: %q", i, a)
		}
	}
	if n := metric(t, base, "cipmini_bcrypt_checks_total"); n > 11 {
		t.Fatalf("%d of 30 parallel LOGINs had their password checked; the limit is 10 a minute", n)
	}
}

// panelPostFrom posts a panel action for room-1 from ip with a PIN ("" for
// none) and a made-up uid.
func panelPostFrom(t *testing.T, ip, base, action, pin string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/room/room-1/"+action, strings.NewReader(url.Values{"uid": {"no-such-uid"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if pin != "" {
		req.Header.Set("X-Panel-Pin", pin)
	}
	resp, err := httpFrom(ip).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, b.String()
}

// POSTs without a PIN do not count, so they cannot lock the kiosk out;
// wrong PINs lock only their own address.
func TestPanelPINLockIsPerAddress(t *testing.T) {
	d := startDaemon(t, boundsConfig(t, ""), t.TempDir())
	base := httpBase(t, d)
	const stranger, kiosk = "127.0.0.6", "127.0.0.7"
	for i := 0; i < 6; i++ {
		if code, v := panelPostFrom(t, stranger, base, "checkin", ""); code != 403 || !strings.Contains(v, "PIN required") {
			t.Fatalf("POST %d without a PIN: %d %s", i, code, v)
		}
	}
	// The right PIN passes (409: there is no such booking to check in to).
	for _, ip := range []string{kiosk, stranger} {
		if code, v := panelPostFrom(t, ip, base, "checkin", "4321"); code != 409 {
			t.Fatalf("right PIN from %s after six POSTs without one: %d %s", ip, code, v)
		}
	}
	for i := 0; i < 5; i++ {
		if code, v := panelPostFrom(t, stranger, base, "checkin", "0000"); code != 403 || !strings.Contains(v, "Wrong PIN") {
			t.Fatalf("wrong PIN %d: %d %s", i, code, v)
		}
	}
	if code, v := panelPostFrom(t, stranger, base, "checkin", "4321"); code != 403 || !strings.Contains(v, "Too many") {
		t.Fatalf("right PIN after five wrong ones from that address: %d %s", code, v)
	}
	if code, v := panelPostFrom(t, kiosk, base, "checkin", "4321"); code != 409 {
		t.Fatalf("the kiosk after another address's wrong PINs: %d %s", code, v)
	}
}
