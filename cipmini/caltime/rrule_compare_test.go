package caltime

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teambition/rrule-go"
)

// randomRule returns an RFC 5545 rule whose parts combine so that every
// year has occurrences (rrule-go scans up to the year 9999 for a rule that
// never matches), within the semantics both implementations share.
func randomRule(rng *rand.Rand) string {
	freqs := []string{"YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY"}
	freq := freqs[rng.IntN(len(freqs))]
	parts := []string{"FREQ=" + freq}
	if freq == "HOURLY" || freq == "MINUTELY" {
		if rng.IntN(2) == 0 {
			parts = append(parts, "BYHOUR="+intList(rng, 1+rng.IntN(3), 0, 23))
		}
		if freq == "MINUTELY" && rng.IntN(2) == 0 {
			parts = append(parts, "BYMINUTE="+intList(rng, 1+rng.IntN(3), 0, 59))
		}
		if rng.IntN(3) == 0 {
			parts = append(parts, "BYDAY="+weekdays(rng, 1+rng.IntN(3), 0))
		}
		return strings.Join(parts, ";")
	}
	parts = append(parts, fmt.Sprintf("INTERVAL=%d", 1+rng.IntN(3)))
	if rng.IntN(3) == 0 {
		parts = append(parts, "WKST="+[]string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}[rng.IntN(7)])
	}
	dayPart := rng.IntN(6)
	if freq == "WEEKLY" || freq == "DAILY" {
		dayPart = rng.IntN(3)
	}
	switch dayPart {
	case 1: // weekdays
		ord := 0
		if freq == "MONTHLY" {
			ord = 4
		} else if freq == "YEARLY" {
			ord = 20
		}
		parts = append(parts, "BYDAY="+weekdays(rng, 1+rng.IntN(3), ord))
		if freq != "WEEKLY" && freq != "DAILY" && rng.IntN(3) == 0 {
			parts = append(parts, fmt.Sprintf("BYSETPOS=%d", []int{1, 2, -1, -2}[rng.IntN(4)]))
		}
	case 2: // month days, maybe with plain weekdays
		days := intList(rng, 1+rng.IntN(3), 1, 28)
		if rng.IntN(3) == 0 {
			days += ",-1"
		}
		parts = append(parts, "BYMONTHDAY="+days)
		if freq == "DAILY" && rng.IntN(2) == 0 {
			parts = append(parts, "BYDAY="+weekdays(rng, 3, 0))
		}
	case 3:
		if freq == "YEARLY" {
			parts = append(parts, "BYYEARDAY="+intList(rng, 1+rng.IntN(3), 1, 365))
		}
	case 4:
		if freq == "YEARLY" {
			parts = append(parts, "BYWEEKNO="+intList(rng, 1+rng.IntN(2), 1, 52), "BYDAY="+weekdays(rng, 1+rng.IntN(2), 0))
		}
	}
	if dayPart < 3 && rng.IntN(3) == 0 {
		parts = append(parts, "BYMONTH="+intList(rng, 1+rng.IntN(3), 1, 12))
	}
	if rng.IntN(3) == 0 {
		parts = append(parts, "BYHOUR="+intList(rng, 1+rng.IntN(2), 0, 23))
	}
	if rng.IntN(4) == 0 {
		parts = append(parts, "BYMINUTE="+intList(rng, 1+rng.IntN(2), 0, 59))
	}
	if rng.IntN(2) == 0 {
		parts = append(parts, fmt.Sprintf("COUNT=%d", 1+rng.IntN(40)))
	}
	rng.Shuffle(len(parts)-1, func(i, j int) { parts[i+1], parts[j+1] = parts[j+1], parts[i+1] })
	return strings.Join(parts, ";")
}

// intList returns up to n distinct values in [lo, hi] (RFC 5545 lists
// are sets; rrule-go repeats duplicates).
func intList(rng *rand.Rand, n, lo, hi int) string {
	var out []string
	for range n {
		v := fmt.Sprint(lo + rng.IntN(hi-lo+1))
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return strings.Join(out, ",")
}

// weekdays returns a BYDAY list, all with ordinals or all without:
// rrule-go intersects a mixed list ("TH,-2TH") where RFC 5545 means the
// union (see TestRuleByDayMixedOrdinals).
func weekdays(rng *rand.Rand, n, maxOrd int) string {
	var out []string
	withOrd := maxOrd > 0 && rng.IntN(2) == 0
	for range n {
		wd := []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}[rng.IntN(7)]
		if withOrd {
			ord := 1 + rng.IntN(maxOrd)
			if rng.IntN(2) == 0 {
				ord = -1 - rng.IntN(min(maxOrd, 4))
			}
			wd = fmt.Sprint(ord) + wd
		}
		if !slices.Contains(out, wd) {
			out = append(out, wd)
		}
	}
	return strings.Join(out, ",")
}

func TestRuleAgreesWithRRuleGo(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 200
	}
	compared, nonEmpty := 0, 0
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		rs := randomRule(rng)
		start := time.Date(2020+rng.IntN(10), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(4)*15, 0, 0, time.UTC)
		span := 3 * 366 * 24 * time.Hour
		if strings.Contains(rs, "HOURLY") || strings.Contains(rs, "MINUTELY") {
			span = 4 * 24 * time.Hour
		}
		end := start.Add(span)
		opt, err := rrule.StrToROption(rs)
		if err != nil {
			t.Fatalf("rrule-go rejects %s: %v", rs, err)
		}
		opt.Dtstart = start
		ref, err := rrule.NewRRule(*opt)
		if err != nil {
			t.Fatalf("rrule-go rejects %s: %v", rs, err)
		}
		want, ok := refBetween(ref, start, end)
		if !ok {
			continue // rrule-go panics on this rule
		}
		mine := rs
		if opt.Count > 0 && (len(want) == 0 || !want[0].Equal(start)) {
			// DTSTART off the rule: RFC 5545 counts it, rrule-go does not.
			mine = strings.Replace(rs, fmt.Sprintf("COUNT=%d", opt.Count), fmt.Sprintf("COUNT=%d", opt.Count+1), 1)
		}
		r := &Recurrence{Start: start, RRules: []string{mine}}
		got, err := r.Between(start, end, 100000)
		if err != nil {
			t.Fatalf("%s from %v: %v", rs, start, err)
		}
		var g, w []string
		for _, in := range got {
			if !in.Start.Equal(start) {
				g = append(g, in.Start.Format("2006-01-02T15:04"))
			}
		}
		for _, tm := range want {
			if !tm.Equal(start) && tm.Before(end) {
				w = append(w, tm.UTC().Format("2006-01-02T15:04"))
			}
		}
		compared++
		if len(w) > 0 {
			nonEmpty++
		}
		if !slices.Equal(g, w) {
			t.Errorf("#%d %s from %v:\n got %d %v\nwant %d %v", i, rs, start, len(g), head(g), len(w), head(w))
		}
	}
	// The comparison means something only if most rules ran and produced
	// occurrences.
	if compared < n*9/10 || nonEmpty < compared*8/10 {
		t.Errorf("only %d of %d rules compared, %d with occurrences", compared, n, nonEmpty)
	}
	t.Logf("%d rules compared, %d with occurrences", compared, nonEmpty)
}

// refBetween runs rrule-go, which panics on some valid rules.
func refBetween(ref *rrule.RRule, start, end time.Time) (out []time.Time, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return ref.Between(start, end, true), true
}

func head(s []string) []string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// Both rrule-go and this package keep the wall-clock time of a weekly
// Europe/Berlin meeting across the change to summer time.
func TestRRuleGoKeepsWallClock(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	start := time.Date(2027, 3, 1, 9, 0, 0, 0, berlin)
	ref, err := rrule.NewRRule(rrule.ROption{Freq: rrule.WEEKLY, Count: 10, Dtstart: start})
	if err != nil {
		t.Fatal(err)
	}
	r := &Recurrence{Start: start, RRules: []string{"FREQ=WEEKLY;COUNT=10"}}
	ins, err := r.Between(start, start.AddDate(1, 0, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := ref.All()
	if len(want) != 10 || len(ins) != 10 {
		t.Fatalf("%d and %d instances", len(want), len(ins))
	}
	for i := range want {
		if h := want[i].In(berlin).Hour(); h != 9 {
			t.Errorf("rrule-go instance %d at %v", i, want[i].In(berlin))
		}
		if !ins[i].Start.Equal(want[i]) {
			t.Errorf("instance %d: %v, rrule-go %v", i, ins[i].Start, want[i].UTC())
		}
	}
}
