package store

import (
	"errors"
	"fmt"

	"github.com/tidwall/buntdb"
)

// Errors returned by DB and Tx. Test for them with errors.Is: most are
// wrapped with detail.
var (
	// ErrNotFound is returned for a key (or an index) that does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrClosed is returned by every method of a DB after Close.
	ErrClosed = errors.New("store: database closed")
	// ErrTxClosed is returned when a Tx is used after its function returned.
	ErrTxClosed = errors.New("store: transaction closed")
	// ErrReadOnly is returned by Set and Delete in a View.
	ErrReadOnly = errors.New("store: transaction is read-only")
	// ErrInvalidKey is returned for an empty key or a key that starts with
	// a zero byte (reserved for the package).
	ErrInvalidKey = errors.New("store: invalid key")
	// ErrTooLarge is returned for a key over MaxKeySize or a value over
	// MaxValueSize.
	ErrTooLarge = errors.New("store: too large")
	// ErrFailed is matched by the error of every write after a write could
	// not be made durable (a failed fsync or rename). The data file on disk
	// is consistent but may lack the failed write; reopen the DB (which
	// rechecks the file) to write again.
	ErrFailed = errors.New("store: database failed")
)

// dbFailure is the sticky error of a failed DB.
type dbFailure struct{ cause error }

func (f *dbFailure) Error() string { return "store: database failed: " + f.cause.Error() }

func (f *dbFailure) Unwrap() []error { return []error{ErrFailed, f.cause} }

// wrapBunt turns a buntdb error into a store error.
func wrapBunt(err error) error {
	switch err {
	case nil:
		return nil
	case buntdb.ErrNotFound:
		return ErrNotFound
	case buntdb.ErrTxClosed:
		return ErrTxClosed
	case buntdb.ErrDatabaseClosed:
		return ErrClosed
	}
	return fmt.Errorf("store: %w", err)
}
