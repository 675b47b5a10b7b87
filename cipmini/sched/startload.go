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
// damaged): the error of the first such record in key order is returned.
// Nothing here writes, and the indexes must not read the store: the walk
// holds the store's read locks while it waits for a worker.
func (s *Scheduler) loadIndexes() (int, error) {
	workers := max(runtime.GOMAXPROCS(0), 1)
	batches := make(chan []storedItem, workers)
	var (
		wg     sync.WaitGroup
		n      atomic.Int64
		failed atomic.Bool
		errMu  sync.Mutex
		errKey string
		first  error
	)
	// fail keeps the error of the first bad record in key order. The walk
	// stops handing out records after a failure, but every record handed
	// out is still decoded, so every record before the first bad one in
	// key order is, and the start names the same record every time.
	fail := func(key string, err error) {
		errMu.Lock()
		if first == nil || key < errKey {
			errKey, first = key, err
		}
		errMu.Unlock()
		failed.Store(true)
	}
	for range workers {
		wg.Go(func() {
			for batch := range batches {
				for _, it := range batch {
					r, err := unmarshalRecord(it.key, it.val)
					if err == nil {
						err = s.reindex(r, nil)
					}
					if err != nil {
						fail(it.key, err)
						continue
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
		err = first
	}
	return int(n.Load()), err
}
