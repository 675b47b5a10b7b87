package locate

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/ciptest"
)

func TestOrderRFC2782(t *testing.T) {
	srvs := []*net.SRV{
		{Target: "c.", Port: 3, Priority: 20, Weight: 0},
		{Target: "a.", Port: 1, Priority: 10, Weight: 60},
		{Target: "b.", Port: 2, Priority: 10, Weight: 40},
		{Target: "z.", Port: 9, Priority: 10, Weight: 0},
	}
	// Lower priority first, always; within priority 10, a drawn number of
	// 0 takes the zero-weight record first.
	got := order(srvs, func(int) int { return 0 })
	want := []string{"z:9", "a:1", "b:2", "c:3"}
	for i, w := range want {
		if got[i].String() != w {
			t.Fatalf("order with r=0: %v, want %v", got, want)
		}
	}
	// With real draws, a (weight 60) comes before b (weight 40) about 60% of
	// the time, and c is always last.
	first := map[string]int{}
	for i := 0; i < 2000; i++ {
		ts := order(srvs[:3], func(n int) int { return int(uint64(i*7919) % uint64(n)) })
		if ts[2].Host != "c" {
			t.Fatalf("priority not respected: %v", ts)
		}
		first[ts[0].Host]++
	}
	if first["a"] < 1000 || first["b"] < 600 {
		t.Fatalf("weights not respected: %v", first)
	}
}

func TestLookupAndDialThroughDNS(t *testing.T) {
	dns := ciptest.StartDNS(t)
	// A live CIP server, and a dead address for the preferred target.
	live := fakeCIP(t, "b.test")
	_, livePort, _ := net.SplitHostPort(live)
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	_, deadPort, _ := net.SplitHostPort(dead.Addr().String())
	dead.Close()
	dns.SetA("h1.b.test", "127.0.0.1")
	dns.SetA("h2.b.test", "127.0.0.1")
	dns.SetSRV("_cip._tcp.b.test",
		ciptest.SRV{Priority: 10, Weight: 1, Port: atoi(deadPort), Target: "h1.b.test."},
		ciptest.SRV{Priority: 20, Weight: 1, Port: atoi(livePort), Target: "h2.b.test."})
	l := New(dns.Addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ts, err := l.Lookup(ctx, "B.test.")
	if err != nil || len(ts) != 2 || ts[0].Port != atoi(deadPort) || ts[1].Port != atoi(livePort) {
		t.Fatalf("lookup: %v %v", ts, err)
	}
	c, err := l.Dial(ctx, "b.test")
	if err != nil {
		t.Fatal(err)
	}
	if c.ServerID() != "b.test" {
		t.Fatalf("reached %s", c.ServerID())
	}
	c.Close()

	// No SRV record: the A record on port 5229.
	dns.SetA("c.test", "127.0.0.1")
	ts, err = l.Lookup(ctx, "c.test")
	if err != nil || len(ts) != 1 || ts[0].String() != "c.test:5229" {
		t.Fatalf("fallback: %v %v", ts, err)
	}
	// The service explicitly not offered.
	dns.SetSRV("_cip._tcp.d.test", ciptest.SRV{Target: "."})
	if _, err := l.Lookup(ctx, "d.test"); !errors.Is(err, ErrNoService) {
		t.Fatalf("target '.': %v", err)
	}
	// A static address wins over DNS.
	l = New(dns.Addr, map[string]string{"b.test": "127.0.0.1:" + livePort})
	ts, err = l.Lookup(ctx, "b.test")
	if err != nil || len(ts) != 1 || ts[0].Port != atoi(livePort) {
		t.Fatalf("static: %v %v", ts, err)
	}
}

func atoi(s string) uint16 {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return uint16(n)
}

// fakeCIP accepts connections and greets as serverID.
func fakeCIP(t *testing.T, serverID string) string {
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
			c.Write([]byte("OK CIP 1.0 " + serverID + "\r\n"))
			c.Close()
		}
	}()
	return l.Addr().String()
}
