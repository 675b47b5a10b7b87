package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cipmini/cipmini/cmd/cipmini/web"
	"github.com/cipmini/cipmini/store"
)

// refKeyFile holds, in the data directory, the key of the opaque references
// by which the ICS feed and the panel name bookings (web.Options.RefKey):
// kept, so that a calendar subscribed to a feed sees the same events after
// a restart; made at the first start. Anyone who can read it can test a
// guessed UID against a reference, so it is mode 0600 like the data.
const refKeyFile = "web.key"

// loadRefKey returns the data directory's reference key, making it when
// there is none; the store holds the directory's lock.
func loadRefKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, refKeyFile)
	key, err := os.ReadFile(path)
	switch {
	case err == nil && len(key) == web.RefKeySize:
		return key, nil
	case err == nil:
		return nil, fmt.Errorf("cipmini: %s holds %d bytes, not %d: remove it to make a new one (feeds then name bookings anew)", path, len(key), web.RefKeySize)
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("cipmini: %w", err)
	}
	key = web.NewRefKey()
	if err := store.WriteFileAtomic(path, key); err != nil {
		return nil, fmt.Errorf("cipmini: making %s: %w", path, err)
	}
	return key, nil
}
