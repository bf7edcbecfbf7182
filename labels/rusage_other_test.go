//go:build !unix

package labels

// cpuSeconds is not measured on this platform.
func cpuSeconds() (float64, bool) { return 0, false }
