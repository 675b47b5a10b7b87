package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cipmini/cipmini/cmd/cipmini/web"
	"github.com/cipmini/cipmini/store"
)

// The key of the opaque references by which the ICS feed and the panel
// name bookings (web.Options.RefKey). A calendar subscribed to a feed sees
// the same events only while the key stays, so it is kept in two places:
//
//   - in the store, under refKeyStoreKey: backups, daily snapshots and
//     restores carry it, and a room restored onto a new device keeps its
//     subscribers' references;
//   - in the data directory's refKeyFile, written atomically and fsynced
//     before the store is told, so that a key is never lost to a crash under
//     a sync policy that acknowledges before the disk has it.
//
// The store's copy wins: the file is rewritten to match it (after a restore
// onto a device that had a key of its own). A store without one (a data
// directory of an earlier version, or a backup made by one) takes the
// file's. So removing web.key does not replace the key; a new key comes
// only with a store that has none. Anyone who can read either can test a
// guessed UID against a reference, so both are mode 0600 like the data.
const (
	refKeyFile     = "web.key"
	refKeyStoreKey = "webkey"
)

// loadRefKey returns the reference key, making it when neither the store
// nor the data directory holds one. The store holds the directory's lock.
func loadRefKey(db *store.DB, dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, refKeyFile)
	stored, err := storedRefKey(db)
	if err != nil {
		return nil, err
	}
	file, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// No file: file is nil.
	case err != nil:
		return nil, fmt.Errorf("cipmini: %w", err)
	case len(file) != web.RefKeySize && stored == nil:
		return nil, fmt.Errorf("cipmini: %s holds %d bytes, not %d: remove it to make a new one (feeds then name bookings anew)", path, len(file), web.RefKeySize)
	}
	key := stored
	if key == nil {
		key = file
	}
	if key == nil {
		key = web.NewRefKey()
	}
	if !bytes.Equal(file, key) {
		if err := store.WriteFileAtomic(path, key); err != nil {
			return nil, fmt.Errorf("cipmini: writing %s: %w", path, err)
		}
	}
	if stored == nil {
		err := db.Update(func(tx *store.Tx) error { return tx.Set(refKeyStoreKey, hex.EncodeToString(key)) })
		if err != nil {
			return nil, fmt.Errorf("cipmini: keeping the reference key in the store: %w", err)
		}
	}
	return key, nil
}

// storedRefKey returns the store's reference key, or nil when it has none
// or holds something else under its name.
func storedRefKey(db *store.DB) ([]byte, error) {
	var text string
	err := db.View(func(tx *store.Tx) error {
		var err error
		text, err = tx.Get(refKeyStoreKey)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cipmini: reading the reference key: %w", err)
	}
	key, err := hex.DecodeString(text)
	if err != nil || len(key) != web.RefKeySize {
		// Not a key this program wrote: taken as none, and replaced by
		// the file's (or a new one) rather than keeping the room down.
		return nil, nil
	}
	return key, nil
}
