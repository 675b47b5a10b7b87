package main

import "github.com/cipmini/cipmini/store"

// flashAttrs are the store's flash wear counters since it was opened, for
// the log line of a stopped server: bytes written to the data file and to
// compacted files, fsyncs, compactions.
func flashAttrs(db *store.DB) []any {
	s := db.Stats()
	return []any{"bytes_written", s.BytesWritten, "fsyncs", s.Syncs, "compactions", s.Compactions}
}
