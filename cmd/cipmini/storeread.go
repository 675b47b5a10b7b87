package main

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/cipmini/cipmini/store"
)

// openStoreForReading opens the store in dir for a command that only reads
// it (log, queue). When a server holds the store's lock it opens a checked
// copy of the data file instead, in a temporary directory named after
// command, so it never waits for the server nor disturbs it. done closes the
// store and removes the copy. Warnings go to stderr.
func openStoreForReading(dir, command string, stderr io.Writer) (db *store.DB, done func(), err error) {
	quiet := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := &store.Options{Logger: quiet, DisableAutoCompact: true}
	db, err = store.Open(dir, opts)
	if err == nil {
		return db, func() { db.Close() }, nil
	}
	if !errors.Is(err, store.ErrLocked) {
		return nil, nil, err
	}
	tmp, err := os.MkdirTemp("", "cipmini-"+command+"-")
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Create(filepath.Join(tmp, store.DefaultFileName))
	if err == nil {
		err = copyLive(filepath.Join(dir, store.DefaultFileName), f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		db, err = store.Open(tmp, opts)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return nil, nil, err
	}
	return db, func() { db.Close(); os.RemoveAll(tmp) }, nil
}

// dataDirOf returns the data directory a reading command uses: data when
// given (the --data flag), else the data_dir of the configuration file
// configPath (the embedded demo configuration when empty).
func dataDirOf(data, configPath string) (string, error) {
	if data != "" {
		return data, nil
	}
	cfg, err := loadConfig(configPath)
	if err != nil {
		return "", err
	}
	return cfg.DataDir, nil
}
