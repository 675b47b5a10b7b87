package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Backup writes a consistent snapshot of the database to w, in the data
// file format with commit markers: a file that Restore installs, and that
// CheckFile and Open accept as it is. The snapshot is taken at once; writes
// continue while it is written out, and are not in it.
func (db *DB) Backup(w io.Writer) error {
	db.swapMu.RLock()
	if db.closed {
		db.swapMu.RUnlock()
		return ErrClosed
	}
	items, err := snapshotItems(db.bdb, true)
	db.swapMu.RUnlock()
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if _, err := writeSnapshot(w, items); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// Restore replaces the database in dir with the backup read from r. It
// refuses while the directory is locked by an open DB (ErrLocked). The
// backup is copied to a temporary file in dir and fsynced, then checked
// with the same checker as CheckFile: a corrupt backup (a *CorruptError
// whose Path is "backup"), an empty one or one that ends inside a commit
// is refused and the database is left as it was. A good backup is renamed
// over the data file and the directory fsynced, so a crash leaves either
// the old database or the restored one. opts supplies FileName and Logger;
// the other fields are unused. dir is created (mode 0700) when missing.
func Restore(dir string, r io.Reader, opts *Options) error {
	o, err := resolveOptions(opts)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer lock.release()
	path := filepath.Join(dir, o.FileName)
	tmp := path + restoreSuffix
	if err := restoreTo(tmp, r); err != nil {
		os.Remove(tmp)
		return err
	}
	rep, err := checkBackup(tmp)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := renameFile(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: restore: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	// The quarantine described the replaced file: set it aside, so that
	// its busy time and its report go with that file.
	q := filepath.Join(dir, QuarantineDir)
	if _, err := os.Stat(q); err == nil {
		aside := fmt.Sprintf("%s.replaced-%d", q, time.Now().Unix())
		if err := os.Rename(q, aside); err != nil {
			return fmt.Errorf("store: restore: %w", err)
		}
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("store: restore: %w", err)
		}
		o.Logger.Info("store: the quarantine of the replaced data file was set aside", "dir", aside)
	}
	o.Logger.Info("store: restored the database from a backup", "file", path,
		"bytes", rep.Size, "keys", rep.Keys)
	return nil
}

// restoreTo copies r to a new file at path and fsyncs it.
func restoreTo(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	return nil
}

// checkBackup checks a backup copied to path without repairing it.
func checkBackup(path string) (Report, error) {
	rep, _, err := checkFile(path, false, nil, true)
	var ce *CorruptError
	if errors.As(err, &ce) {
		ce.Path = "backup"
		return rep, ce
	}
	if err != nil {
		return rep, err
	}
	if rep.Size == 0 {
		return rep, errors.New("store: restore: the backup is empty")
	}
	if rep.DroppedBytes > 0 {
		return rep, fmt.Errorf("store: restore: the backup is truncated: it ends inside the commit that starts at offset %d", rep.Valid)
	}
	return rep, nil
}
