package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/cipmini/cipmini/store"
)

// dataDir reads --config and --data and returns the data directory and the
// remaining argument.
func dataDir(name string, args []string, stderr io.Writer) (dir string, rest []string, err error) {
	fs := newFlags(name, stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded demo configuration)")
	data := fs.String("data", "", "data `directory`, overriding the configuration")
	if err := parseFlags(fs, args); err != nil {
		return "", nil, err
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "usage: cipmini %s [--config FILE] [--data DIR] FILE|-\n", name)
		return "", nil, errUsage
	}
	if *data != "" {
		return *data, fs.Args(), nil
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return "", nil, err
	}
	return cfg.DataDir, fs.Args(), nil
}

// cmdBackup writes a consistent copy of the data, and of the archive of
// retired events into "<file>-archive" beside a backup file. With the server stopped it
// opens the store and takes a snapshot; while a server runs (the store is
// locked) it copies the append-only file as it stands and checks the copy,
// which cuts an append in progress back to the last whole commit.
func cmdBackup(args []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	dir, rest, err := dataDir("backup", args, stderr)
	if err != nil {
		return err
	}
	out := stdout
	if rest[0] != "-" {
		f, err := os.OpenFile(rest[0], os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("cipmini: %w", err)
		}
		defer f.Close()
		out = f
		defer func() {
			if err == nil {
				err = f.Sync()
			}
		}()
	}
	quiet := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := store.Open(dir, &store.Options{Logger: quiet, DisableAutoCompact: true})
	switch {
	case err == nil:
		err = db.Backup(out)
		db.Close()
	case errors.Is(err, store.ErrLocked):
		err = copyLive(filepath.Join(dir, store.DefaultFileName), out)
	}
	if err != nil {
		return err
	}
	// The archive after the data: an event retired in between is in the
	// archive (written before the live record goes), never in neither.
	return backupArchive(dir, rest[0], stderr)
}

// copyLive copies the data file of a running server and checks the copy.
func copyLive(path string, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "cipmini-backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cipmini: %w", err)
	}
	defer src.Close()
	copyPath := filepath.Join(tmp, store.DefaultFileName)
	dst, err := os.Create(copyPath)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	if _, err := store.CheckFile(copyPath); err != nil {
		return fmt.Errorf("cipmini: the live data file does not check: %w", err)
	}
	f, err := os.Open(copyPath)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(out, f)
	return err
}

// cmdRestore installs a backup; the server must be stopped. With --latest
// it installs the newest snapshot the server took itself (backups/ in the
// data directory and backup_dir) that verifies completely.
func cmdRestore(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded demo configuration)")
	data := fs.String("data", "", "data `directory`, overriding the configuration")
	latest := fs.Bool("latest", false, "install the newest good snapshot of backups/ in the data directory and of backup_dir")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *latest == (fs.NArg() == 1) || fs.NArg() > 1 {
		fmt.Fprintln(stderr, "usage: cipmini restore [--config FILE] [--data DIR] FILE|-|--latest")
		return errUsage
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	dir := cfg.DataDir
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	in := stdin
	from := "standard input"
	switch {
	case *latest:
		path, skipped, err := store.LatestGoodSnapshot(cfg.backupDirs()...)
		for _, s := range skipped {
			logger.Warn("cipmini: passing over a snapshot that does not verify", "err", s)
		}
		if err != nil {
			return err
		}
		from = path
	case fs.Arg(0) != "-":
		from = fs.Arg(0)
	}
	if from != "standard input" {
		f, err := os.Open(from)
		if err != nil {
			return fmt.Errorf("cipmini: %w", err)
		}
		defer f.Close()
		in = f
	}
	if err := store.Restore(dir, in, &store.Options{Logger: logger}); err != nil {
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%w: stop the server before restoring", err)
		}
		return err
	}
	if !*latest && fs.Arg(0) != "-" {
		if err := restoreArchive(from, dir); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "restored", from, "into", dir)
	return nil
}
