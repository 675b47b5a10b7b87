package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

var value2K = strings.Repeat("x", 2048)

func benchmarkUpdate(b *testing.B, p SyncPolicy) {
	db := mustOpen(b, b.TempDir(), &Options{Sync: p})
	defer db.Close()
	b.ReportAllocs()
	b.SetBytes(int64(len(value2K)))
	i := 0
	for b.Loop() {
		key := fmt.Sprintf("event/%04d", i%1000)
		i++
		err := db.Update(func(tx *Tx) error { return tx.Set(key, value2K) })
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateSyncAlways stores a 2 KB value per commit, fsynced.
func BenchmarkUpdateSyncAlways(b *testing.B) { benchmarkUpdate(b, SyncAlways) }

// BenchmarkUpdateSyncEverySecond stores a 2 KB value per commit.
func BenchmarkUpdateSyncEverySecond(b *testing.B) { benchmarkUpdate(b, SyncEverySecond) }

// dataset10k returns a directory whose data file holds 10,000 records of
// 2 KB, written in commits of 100.
func dataset10k(b *testing.B) string {
	dir := b.TempDir()
	db := mustOpen(b, dir, &Options{Sync: SyncNever, DisableAutoCompact: true})
	for c := 0; c < 100; c++ {
		err := db.Update(func(tx *Tx) error {
			for i := 0; i < 100; i++ {
				if err := tx.Set(fmt.Sprintf("event/%05d", c*100+i), value2K); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkOpen10k opens (checks and loads) a file of 10,000 2 KB records.
func BenchmarkOpen10k(b *testing.B) {
	dir := dataset10k(b)
	b.ReportAllocs()
	for b.Loop() {
		db := mustOpen(b, dir, nil)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckFile10k checks a file of 10,000 2 KB records.
func BenchmarkCheckFile10k(b *testing.B) {
	path := filepath.Join(dataset10k(b), DefaultFileName)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := CheckFile(path)
		if err != nil || rep.Keys != 10000 {
			b.Fatal(rep, err)
		}
	}
}
