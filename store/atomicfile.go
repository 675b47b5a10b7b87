package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic puts b in a file at path (mode 0600) so that a crash
// leaves either the old file or the whole new one: written to a temporary
// file, fsynced, renamed, the directory fsynced.
func WriteFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := writeSynced(tmp, b); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// SyncDir fsyncs the directory dir, making the renames and creations in it
// durable.
func SyncDir(dir string) error { return syncDir(dir) }
