package sched

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// sortBusy puts the spans (sorted) and the recurring instances (in any
// order) in the order a stable sort of the whole by start gives, ties
// included.
func TestSortBusyIsStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 100))
	base := time.Date(2027, 6, 7, 0, 0, 0, 0, time.UTC)
	var w walkBufs
	for n := range 3000 {
		at := func() time.Time {
			return base.Add(time.Duration(rng.IntN(40)) * 30 * time.Minute).Add(time.Duration(rng.IntN(2)) * time.Nanosecond)
		}
		var spans, recs []period
		for i := range rng.IntN(12) {
			spans = append(spans, period{Start: at(), UID: fmt.Sprintf("s%d", i)})
		}
		slices.SortStableFunc(spans, cmpPeriodStart)
		for i := range rng.IntN(12) {
			recs = append(recs, period{Start: at(), UID: fmt.Sprintf("r%d", i), Tentative: rng.IntN(2) == 0})
		}
		all := append(slices.Clone(spans), recs...)
		want := slices.Clone(all)
		slices.SortStableFunc(want, cmpPeriodStart)
		w.ps = append(w.ps[:0], all...)
		w.sortBusy(len(spans))
		if !slices.Equal(w.ps, want) {
			t.Fatalf("case %d: %d spans, %d recurring:\ngot  %v\nwant %v", n, len(spans), len(recs), w.ps, want)
		}
	}
}
