package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cipmini/cipmini/cipmini/sched"
)

// archiveCopyDir is where a backup written to file keeps its copy of the
// archive of retired events: the directory "<file>-archive" beside it.
func archiveCopyDir(backupFile string) string { return backupFile + "-archive" }

// copyArchive copies the yearly archive files (sched.ArchiveDirName) from
// one directory to another, each fsynced; the files are only ever
// appended to, so a copy taken while the server runs is a whole prefix
// that sched.FindArchived reads. A missing source is nothing to copy.
func copyArchive(from, to string) (int, error) {
	ents, err := os.ReadDir(from)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cipmini: archive: %w", err)
	}
	n := 0
	for _, e := range ents {
		if !e.Type().IsRegular() || !sched.IsArchiveFile(e.Name()) {
			continue
		}
		if n == 0 {
			if err := os.MkdirAll(to, 0o700); err != nil {
				return 0, fmt.Errorf("cipmini: archive: %w", err)
			}
		}
		if err := copyFileSynced(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		d, err := os.Open(to)
		if err == nil {
			err = d.Sync()
			d.Close()
		}
		if err != nil {
			return n, fmt.Errorf("cipmini: archive: %w", err)
		}
	}
	return n, nil
}

func copyFileSynced(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("cipmini: archive: %w", err)
	}
	defer src.Close()
	tmp := to + ".tmp"
	dst, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("cipmini: archive: %w", err)
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, to)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cipmini: archive: %w", err)
	}
	return nil
}

// backupArchive copies the data directory's archive beside a backup file;
// a backup to standard output cannot hold it, which stderr is told.
func backupArchive(dataDir, backupFile string, stderr io.Writer) error {
	from := filepath.Join(dataDir, sched.ArchiveDirName)
	if backupFile == "-" {
		if _, err := os.Stat(from); err == nil {
			fmt.Fprintf(stderr, "cipmini: the archive of retired events (%s) is not in a backup to standard output; copy it as well\n", from)
		}
		return nil
	}
	_, err := copyArchive(from, archiveCopyDir(backupFile))
	return err
}

// restoreArchive puts the archive kept beside a backup file back into the
// data directory.
func restoreArchive(backupFile, dataDir string) error {
	if backupFile == "-" {
		return nil
	}
	_, err := copyArchive(archiveCopyDir(backupFile), filepath.Join(dataDir, sched.ArchiveDirName))
	return err
}
