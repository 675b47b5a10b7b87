// Package store is cipmini's durable storage: keys and values in a data
// file, github.com/tidwall/buntdb made safe for a Raspberry Pi's SD card.
// The scheduler (package sched) decides what the keys and values mean;
// the store reads inside a value only to salvage the busy time of a
// damaged event record for the quarantine (lenientSpans).
//
// On top of buntdb it adds: a check of the data file before every open
// (CheckFile), which cuts an interrupted append and refuses a corrupt file
// instead of loading half of it; a checksum on every record, with damaged
// records quarantined (QuarantineDir) rather than served; an exclusive
// lock on the database directory; fsync of every commit before Update
// returns (SyncAlways, the default), one fsync shared by the commits that
// arrive together (group commit: Commit, then WaitDurable; busy writers
// are gathered into one fsync rather than half of them each), with errors
// reported instead of ignored; zeros written ahead of the data while the
// DB is open, so that a commit's sync is an fdatasync that commits no
// file system journal (reserve.go); commits that are atomic across a crash, through a commit marker
// written with each one; a crash-safe compaction in place of buntdb's
// Shrink; consistent backups and snapshots with a checked, atomic restore;
// and the offline check of a data directory (CheckData).
//
// Keys and values are strings. Keys are ordered bytewise. Keys that start
// with a zero byte are reserved.
package store
