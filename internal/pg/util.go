package pg

import "crypto/sha256"

func sha256sum(b []byte) [32]byte { return sha256.Sum256(b) }

// nullable turns "" into NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func cellOrNull(c int64) any {
	if c == 0 {
		return nil
	}
	return c
}
