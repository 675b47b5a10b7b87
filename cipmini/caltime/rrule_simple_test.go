package caltime

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// simpleCase is one daily or weekly rule, with the recurrence around it and
// a window to expand it over.
type simpleCase struct {
	rec      *Recurrence
	from, to time.Time
	max      int
}

func (c simpleCase) String() string {
	return fmt.Sprintf("DTSTART %s RRULE %s EXDATE %d overrides %d window [%s, %s) max %d",
		c.rec.Start.Format(time.RFC3339), c.rec.RRules[0], len(c.rec.ExDates), len(c.rec.Overrides),
		c.from.Format(time.RFC3339), c.to.Format(time.RFC3339), c.max)
}

func simpleZones(t testing.TB) []*time.Location {
	var out []*time.Location
	for _, name := range []string{"Europe/Berlin", "America/New_York"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, loc)
	}
	return append(out, time.UTC, time.FixedZone("", 5*3600+1800))
}

// randomSimpleCase draws a daily or weekly rule whose DTSTART often lies at
// a wall-clock time that a daylight-saving change skips or repeats, with
// COUNT and UNTIL that end near the window, and a window before, across or
// after the series.
func randomSimpleCase(rng *rand.Rand, zones []*time.Location) simpleCase {
	loc := zones[rng.IntN(len(zones))]
	// Around the 2027 changes: 28 March and 31 October in Berlin, 14 March
	// and 7 November in New York; the hours 1 to 3 hold the skipped and
	// repeated ones.
	day := time.Date(2027, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, loc)
	if rng.IntN(2) == 0 {
		day = []time.Time{
			time.Date(2027, 3, 28, 0, 0, 0, 0, loc), time.Date(2027, 10, 31, 0, 0, 0, 0, loc),
			time.Date(2027, 3, 14, 0, 0, 0, 0, loc), time.Date(2027, 11, 7, 0, 0, 0, 0, loc),
		}[rng.IntN(4)].AddDate(0, 0, -7*rng.IntN(3))
	}
	hour := []int{0, 1, 2, 3, 9, 23}[rng.IntN(6)]
	start := time.Date(day.Year(), day.Month(), day.Day(), hour, 30*rng.IntN(2), 0, 0, loc)
	freq, unit := "DAILY", 1
	if rng.IntN(2) == 0 {
		freq, unit = "WEEKLY", 7
	}
	interval := 1 + rng.IntN(4)
	rule := "FREQ=" + freq
	if interval > 1 || rng.IntN(2) == 0 {
		rule += fmt.Sprintf(";INTERVAL=%d", interval)
	}
	if rng.IntN(3) == 0 {
		rule += ";WKST=" + []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}[rng.IntN(7)]
	}
	step := unit * interval
	switch rng.IntN(4) {
	case 0:
		rule += fmt.Sprintf(";COUNT=%d", 1+rng.IntN(40))
	case 1:
		// UNTIL on an occurrence, a second before or after one, or a day
		// away: each ending is an edge.
		u := start.AddDate(0, 0, step*rng.IntN(40)).Add(time.Duration(rng.IntN(3)-1) * time.Second)
		switch rng.IntN(3) {
		case 0:
			rule += ";UNTIL=" + u.UTC().Format("20060102T150405Z")
		case 1:
			rule += ";UNTIL=" + u.Format("20060102T150405")
		default:
			rule += ";UNTIL=" + u.Format("20060102")
		}
	}
	rec := &Recurrence{Start: start, Duration: Duration{Clock: time.Duration(rng.IntN(5)) * 30 * time.Minute}, RRules: []string{rule}}
	if rng.IntN(4) == 0 {
		rec.Duration = Duration{Days: 1 + rng.IntN(2)}
	}
	for range rng.IntN(3) {
		rec.ExDates = append(rec.ExDates, start.AddDate(0, 0, step*rng.IntN(30)))
	}
	if rng.IntN(3) == 0 {
		id := start.AddDate(0, 0, step*rng.IntN(30))
		moved := id.Add(time.Duration(rng.IntN(48)-24) * time.Hour)
		rec.Overrides = map[int64]Override{id.Unix(): {Start: moved, End: moved.Add(time.Hour),
			Cancelled: rng.IntN(4) == 0, ThisAndFuture: rng.IntN(3) == 0, Duration: Duration{Clock: time.Hour}}}
	}
	if rng.IntN(4) == 0 {
		rec.RDates = []Period{{Start: start.AddDate(0, 0, rng.IntN(60)).Add(time.Hour)}}
	}
	from := start.AddDate(0, 0, rng.IntN(400)-60).Add(time.Duration(rng.IntN(48)) * time.Hour)
	length := []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 40 * 24 * time.Hour, 400 * 24 * time.Hour}[rng.IntN(5)]
	return simpleCase{rec: rec, from: from, to: from.Add(length), max: []int{0, 1, 3, 64}[rng.IntN(4)]}
}

// checkSimple expands c with the arithmetic path and with the general
// expansion, and fails unless they give the same instances, error and
// work. It reports whether the window held instances.
func checkSimple(t *testing.T, c simpleCase) bool {
	t.Helper()
	var p Prepared
	if err := c.rec.prepareInto(&p, false); err != nil {
		t.Fatalf("%s: %v", c, err)
	}
	if len(p.rules) != 1 || p.rules[0].simpleStep() == 0 {
		t.Fatalf("%s: not a simple rule", c)
	}
	fast, errFast := p.appendBetween(nil, c.from, c.to, c.max, true)
	slow, errSlow := p.appendBetween(nil, c.from, c.to, c.max, false)
	if !errors.Is(errFast, errSlow) || !slices.EqualFunc(fast, slow, sameInstance) {
		t.Fatalf("%s:\narithmetic %v %v\ngeneral    %v %v", c, fast, errFast, slow, errSlow)
	}
	// The rule alone, over the widened civil window: the same
	// occurrences for the same work.
	lo, hi := civilOf(c.from.In(c.rec.Start.Location()))-2*secondsPerDay, civilOf(c.to.In(c.rec.Start.Location()))+2*secondsPerDay
	for _, budget := range []int64{expansionWork, 5, 40} {
		qf := &query{r: c.rec, from: c.from, to: c.to, max: DefaultMaxInstances, exdates: p.exdates, future: p.future}
		qs := &query{r: c.rec, from: c.from, to: c.to, max: DefaultMaxInstances, exdates: p.exdates, future: p.future}
		wf, ws := budget, budget
		ef := qf.runSimple(p.rules[0], p.rules[0].simpleStep(), lo, hi, &wf)
		es := qs.runRule(p.rules[0], lo, hi, &ws)
		if !errors.Is(ef, es) || wf != ws || !slices.EqualFunc(qf.out, qs.out, sameInstance) {
			t.Fatalf("%s budget %d:\narithmetic %v %v work left %d\ngeneral    %v %v work left %d", c, budget, qf.out, ef, wf, qs.out, es, ws)
		}
	}
	return len(slow) > 0
}

func sameInstance(a, b Instance) bool {
	return a.RecurrenceID.Equal(b.RecurrenceID) && a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.Free == b.Free
}

// The arithmetic path for daily and weekly rules gives what the general
// expansion gives, over many drawn rules and windows.
func TestSimpleRuleMatchesGeneralExpansion(t *testing.T) {
	zones := simpleZones(t)
	rng := rand.New(rand.NewPCG(17, 2027))
	nonEmpty := 0
	const n = 20000
	for range n {
		if checkSimple(t, randomSimpleCase(rng, zones)) {
			nonEmpty++
		}
	}
	if nonEmpty < n/4 {
		t.Fatalf("only %d of %d windows held instances", nonEmpty, n)
	}
}

// Hand-picked edges: a window before DTSTART, one after UNTIL, the last
// instance of a COUNT, a daily series across both Berlin changes, and a
// series that runs into the year 9999.
func TestSimpleRuleEdges(t *testing.T) {
	zones := simpleZones(t)
	berlin, ny := zones[0], zones[1]
	utc := func(s string) time.Time {
		v, err := time.Parse("20060102T150405Z", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		start    time.Time
		rule     string
		from, to string
		want     int
	}{
		{time.Date(2027, 6, 1, 10, 0, 0, 0, berlin), "FREQ=WEEKLY", "20270101T000000Z", "20270601T000000Z", 0},
		{time.Date(2027, 6, 1, 10, 0, 0, 0, berlin), "FREQ=WEEKLY;UNTIL=20270615T080000Z", "20270615T080000Z", "20280101T000000Z", 1},
		{time.Date(2027, 6, 1, 10, 0, 0, 0, berlin), "FREQ=WEEKLY;UNTIL=20270615T075959Z", "20270615T000000Z", "20280101T000000Z", 0},
		{time.Date(2027, 6, 1, 10, 0, 0, 0, berlin), "FREQ=DAILY;INTERVAL=3;COUNT=5", "20270613T000000Z", "20270614T000000Z", 1},
		{time.Date(2027, 6, 1, 10, 0, 0, 0, berlin), "FREQ=DAILY;INTERVAL=3;COUNT=5", "20270614T000000Z", "20280101T000000Z", 0},
		{time.Date(2027, 3, 20, 2, 30, 0, 0, berlin), "FREQ=DAILY", "20270327T000000Z", "20270402T000000Z", 6},
		{time.Date(2027, 10, 24, 2, 30, 0, 0, berlin), "FREQ=DAILY", "20271030T000000Z", "20271102T000000Z", 3},
		{time.Date(2027, 3, 7, 2, 30, 0, 0, ny), "FREQ=WEEKLY;INTERVAL=1", "20270314T000000Z", "20270315T000000Z", 1},
		{time.Date(9999, 12, 20, 10, 0, 0, 0, time.UTC), "FREQ=WEEKLY", "99991201T000000Z", "99991231T235959Z", 2},
	} {
		rec := &Recurrence{Start: c.start, Duration: Duration{Clock: time.Hour}, RRules: []string{c.rule}}
		sc := simpleCase{rec: rec, from: utc(c.from), to: utc(c.to)}
		checkSimple(t, sc)
		got, err := rec.Between(sc.from, sc.to, 0)
		if err != nil || len(got) != c.want {
			t.Errorf("%s: %d instances %v, %v; want %d", sc, len(got), got, err, c.want)
		}
	}
}

// FuzzSimpleRule compares the arithmetic path with the general expansion
// for fuzzed daily and weekly rules and windows.
func FuzzSimpleRule(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(17), uint64(2027))
	f.Add(uint64(0), uint64(0))
	zones := simpleZones(f)
	f.Fuzz(func(t *testing.T, a, b uint64) {
		checkSimple(t, randomSimpleCase(rand.New(rand.NewPCG(a, b)), zones))
	})
}
