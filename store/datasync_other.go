//go:build !linux

package store

import "os"

// fsyncFile is (*os.File).Sync where fdatasync(2) is not offered; tests
// replace a DB's fsync to make it fail or to watch it.
func fsyncFile(f *os.File) error { return f.Sync() }
