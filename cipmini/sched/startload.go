package sched

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/cipmini/cipmini/store"
)

// loadBatch is how many records the start hands a decoding worker at once.
const loadBatch = 64

// storedItem is one record as the store holds it.
type storedItem struct{ key, val string }

// loadIndexes reads every stored event and puts it in the busy index and
// the retention index; it returns how many there are. Decoding the
// records' JSON is the largest part of a start's work (over a third of the
// campus's, 100,000 records), so it runs on one worker per P while one
// goroutine walks the store; the indexes take their own locks. Each record is indexed as it is
// decoded and then dropped, so that the start never holds every decoded
// record at once. An unreadable record stops the start rather than vanish
// from the calendar (the file's framing checked out, so its content was
// damaged): the first such error is returned. Nothing here writes, and the
// indexes do not read the store.
func (s *Scheduler) loadIndexes() (int, error) {
	workers := max(runtime.GOMAXPROCS(0), 1)
	batches := make(chan []storedItem, workers)
	var (
		wg       sync.WaitGroup
		n        atomic.Int64
		failed   atomic.Bool
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		failed.Store(true)
	}
	for range workers {
		wg.Go(func() {
			for batch := range batches {
				for _, it := range batch {
					if failed.Load() {
						break
					}
					r, err := unmarshalRecord(it.key, it.val)
					if err == nil {
						err = s.reindex(r, nil)
					}
					if err != nil {
						fail(err)
						break
					}
					s.retire.note(r)
					n.Add(1)
				}
			}
		})
	}
	s.index.startLoad()
	defer s.index.endLoad()
	batch := make([]storedItem, 0, loadBatch)
	err := s.db.View(func(tx *store.Tx) error {
		return tx.AscendKeys(eventKeyPrefix+"*", func(key, val string) bool {
			if failed.Load() {
				return false
			}
			batch = append(batch, storedItem{key, val})
			if len(batch) == loadBatch {
				batches <- batch
				batch = make([]storedItem, 0, loadBatch)
			}
			return true
		})
	})
	if len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	wg.Wait()
	if err == nil {
		err = firstErr
	}
	return int(n.Load()), err
}
