package certs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// writeFiles puts the serving pair and the CA bundle in dir under the names
// controller-runtime's webhook server reads by default (tls.crt, tls.key).
// Each file is replaced by rename, so its certificate watcher never reads a
// half-written file, and unchanged files are not touched.
func writeFiles(dir string, b bundle) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating cert dir %s: %w", dir, err)
	}
	// Key before certificate: the watcher reloads on the certificate's
	// change and must then find the matching key.
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{keyServingKey, b.Serving.KeyPEM, 0o600},
		{keyServingCert, b.Serving.CertPEM, 0o644},
		{keyCABundle, b.Trusted, 0o644},
	} {
		path := filepath.Join(dir, f.name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, f.data) {
			continue
		}
		tmp, err := os.CreateTemp(dir, "."+f.name+".*")
		if err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		_, werr := tmp.Write(f.data)
		cerr := tmp.Close()
		if err := firstErr(werr, cerr, os.Chmod(tmp.Name(), f.mode)); err != nil {
			_ = os.Remove(tmp.Name())
			return fmt.Errorf("writing %s: %w", path, err)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			_ = os.Remove(tmp.Name())
			return fmt.Errorf("replacing %s: %w", path, err)
		}
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
