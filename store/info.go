package store

// Dir returns the data directory the DB was opened in.
func (db *DB) Dir() string { return db.dir }

// Size returns the data file's size and the size it would have after a
// compaction (its live data), in bytes. It reads two counters: cheap, safe
// for concurrent use.
func (db *DB) Size() (file, live int64) {
	return db.fileSize.Load(), db.liveBytes.Load()
}

// RecordSize is the number of bytes a Set of value under key appends to
// the data file, its checksum envelope included: what storing it costs
// the flash.
func RecordSize(key, value string) int64 {
	return setRecordSize(len(key), envelopeLen+len(value))
}
