package store

import (
	"errors"
	"fmt"
	"os"
)

// ListFiles returns the names of the regular files in dir that keep
// accepts, in directory order; a missing directory holds none. what names
// the directory in errors ("archive", "quarantine", "snapshots").
func ListFiles(dir, what string, keep func(name string) bool) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && keep(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}
